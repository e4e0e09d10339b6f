"""DBSCAN on Coulomb-matrix eigenvalues of QM9 molecules: scikit-learn's labels against a
brute-force epsilon-neighbourhood DBSCAN, and clusters that are chemically pure."""

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.csgraph
import scipy.spatial.distance

from sciml_jax import data
from sciml_jax.analysis import cluster_purity, dbscan_clusters


def _coulomb_spectrum(z, r, n):
    """Eigenvalues of the Coulomb matrix (Rupp et al. 2012), by |value|, padded to 29."""
    z, r = z[:n].astype(float), r[:n]
    d = np.linalg.norm(r[:, None] - r[None], axis=-1)
    np.fill_diagonal(d, 1.0)
    m = np.outer(z, z) / d
    np.fill_diagonal(m, 0.5 * z**2.4)
    e = np.linalg.eigvalsh(m)
    return np.pad(e[np.argsort(-np.abs(e))], (0, 29 - n))


@pytest.fixture(scope="module")
def qm9_spectra():
    qm9 = data.load_qm9(limit=500)
    spectra = np.stack(
        [
            _coulomb_spectrum(z, r, n)
            for z, r, n in zip(qm9.atomic_numbers, qm9.positions, qm9.n_atoms, strict=True)
        ]
    )
    formulas = [tuple(np.bincount(z, minlength=10)[[1, 6, 7, 8, 9]]) for z in qm9.atomic_numbers]
    heavy_atoms = list((qm9.atomic_numbers > 1).sum(1))
    return spectra, formulas, heavy_atoms


def _brute_force_dbscan(features, eps, min_samples):
    """Core points, the connected components of core points within eps, and the noise."""
    near = scipy.spatial.distance.squareform(scipy.spatial.distance.pdist(features)) <= eps
    core = near.sum(1) >= min_samples  # the point itself included
    graph = scipy.sparse.csr_matrix(near & core[:, None] & core[None, :])
    _, component = scipy.sparse.csgraph.connected_components(graph, directed=False)
    reachable = (near[:, core]).any(1)  # core, or within eps of a core point
    return core, component, near, ~reachable


@pytest.mark.parametrize("eps, min_samples", [(4.0, 3), (6.0, 5), (2.0, 2)])
def test_dbscan_equals_brute_force(qm9_spectra, eps, min_samples):
    spectra = qm9_spectra[0]
    labels, is_core = dbscan_clusters(spectra, eps=eps, min_samples=min_samples)
    core, component, near, noise = _brute_force_dbscan(spectra, eps, min_samples)
    np.testing.assert_array_equal(is_core, core)
    np.testing.assert_array_equal(labels == -1, noise)
    # The core points are partitioned alike: cluster label <-> connected component.
    pairs = set(zip(labels[core], component[core], strict=True))
    assert len(pairs) == len(set(labels[core])) == len(set(component[core]))
    assert labels.max() + 1 == len(set(component[core])) >= 2
    # Each border point joins a cluster of one of its core neighbours.
    for i in np.flatnonzero(~core & ~noise):
        assert labels[i] in set(labels[near[i] & core])


def test_tight_clusters_are_chemically_pure(qm9_spectra):
    spectra, formulas, heavy_atoms = qm9_spectra
    # Very tight: near-duplicate spectra, same chemical formula (the trace of the Coulomb
    # matrix is sum 0.5 Z^2.4, fixed by the formula).
    labels, _ = dbscan_clusters(spectra, eps=2.0, min_samples=2)
    assert labels.max() + 1 >= 8
    assert cluster_purity(labels, formulas) == 1.0
    # Looser: isomers mix, but every cluster keeps one heavy-atom count.
    labels, _ = dbscan_clusters(spectra, eps=5.0, min_samples=3)
    assert labels.max() + 1 >= 30
    assert cluster_purity(labels, formulas) < 0.9
    assert cluster_purity(labels, heavy_atoms) == 1.0
    shuffled = np.random.default_rng(0).permutation(labels)
    assert cluster_purity(shuffled, heavy_atoms) < 0.9


def test_cluster_purity_by_hand():
    labels = np.array([0, 0, 0, 1, 1, -1])
    assert cluster_purity(labels, ["a", "a", "b", "c", "c", "z"]) == pytest.approx(4 / 5)
    with pytest.raises(ValueError, match="noise"):
        cluster_purity(np.array([-1, -1]), ["a", "b"])
