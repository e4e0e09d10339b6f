"""QM9 from the qm9pack wheel: known molecules (methane, ammonia, water) against their
published U0 and geometry, the parse against an independent `ast.literal_eval` reading of
the CSV rows, the cache round trip, and nested seeded splits."""

import ast
import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from sciml_jax.data import load_qm9, qm9_split
from sciml_jax.data._qm9 import HARTREE_TO_EV

LIMIT = 60


@pytest.fixture(scope="module")
def qm9(tmp_path_factory):
    return load_qm9(limit=LIMIT, cache_dir=tmp_path_factory.mktemp("qm9"))


def _first_rows(n):
    directory = Path(next(iter(importlib.util.find_spec("qm9pack").submodule_search_locations)))
    with open(directory / "data" / "qm9_part1.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        return [next(reader) for _ in range(n)]


def test_methane_ammonia_water(qm9):
    assert len(qm9) == LIMIT
    assert qm9.index[:3].tolist() == [1, 2, 3]
    # U0 of QM9 molecules 1-3 (B3LYP/6-31G(2df,p), Hartree) as published in dsgdb9nsd_00000N.xyz
    np.testing.assert_allclose(
        qm9.u0_eV[:3], np.array([-40.47893, -56.525887, -76.404702]) * 27.211386245988, rtol=1e-14
    )
    np.testing.assert_allclose(qm9.u0_eV[0], -1101.4877900, atol=1e-6)  # eV
    assert qm9.n_atoms[:3].tolist() == [5, 4, 3]
    assert qm9.atomic_numbers[0, :6].tolist() == [6, 1, 1, 1, 1, 0]
    assert qm9.atomic_numbers[1, :5].tolist() == [7, 1, 1, 1, 0]
    assert qm9.atomic_numbers[2, :4].tolist() == [8, 1, 1, 0]
    # methane: four equal C-H bonds of 1.0919 A at the tetrahedral angle arccos(-1/3)
    r = qm9.positions[0]
    bonds = r[1:5] - r[0]
    lengths = np.linalg.norm(bonds, axis=1)
    np.testing.assert_allclose(lengths, 1.0919, atol=2e-4)
    cosines = [bonds[i] @ bonds[j] / lengths[i] / lengths[j] for i in range(4) for j in range(i)]
    np.testing.assert_allclose(cosines, -1.0 / 3.0, atol=1e-4)
    # water: O-H 0.96 A, H-O-H within a degree of the experimental 104.5 (B3LYP with this
    # basis gives a slightly smaller angle)
    w = qm9.positions[2]
    oh = np.linalg.norm(w[1:3] - w[0], axis=1)
    np.testing.assert_allclose(oh, 0.96, atol=5e-3)
    angle = np.degrees(np.arccos((w[1] - w[0]) @ (w[2] - w[0]) / oh[0] / oh[1]))
    assert abs(angle - 104.5) < 1.0
    # padding is zero and the mask agrees with n_atoms
    assert np.all(qm9.node_mask.sum(1) == qm9.n_atoms)
    assert np.all(qm9.positions[~qm9.node_mask] == 0.0)
    assert qm9.positions.dtype == np.float64 and qm9.positions.shape == (LIMIT, 29, 3)


def test_parse_matches_an_independent_reading(qm9):
    numbers = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9}
    for row, i in zip(_first_rows(LIMIT), range(LIMIT), strict=True):
        symbols = ast.literal_eval(row["Elements"])
        xyz = np.array(ast.literal_eval(row["XYZ_Ang"]))
        n = len(symbols)
        assert qm9.index[i] == int(row["Index"]) and qm9.n_atoms[i] == n
        assert qm9.atomic_numbers[i, :n].tolist() == [numbers[s] for s in symbols]
        np.testing.assert_array_equal(qm9.positions[i, :n], xyz)
        assert qm9.u0_eV[i] == float(row["InternalEnergy_0K_au"]) * HARTREE_TO_EV
        # hydrogen count of the stoichiometry column "[H, C, N, O, F]"
        assert ast.literal_eval(row["Stoichiometry"]) == [symbols.count(s) for s in "HCNOF"]


def test_cache_round_trip_and_take(tmp_path):
    first = load_qm9(limit=5, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("qm9-*.npz"))) == 1
    second = load_qm9(limit=5, cache_dir=tmp_path)
    np.testing.assert_array_equal(first.positions, second.positions)
    sub = first.take([4, 0])
    assert sub.index.tolist() == [5, 1] and len(sub) == 2
    np.testing.assert_array_equal(sub.positions[1], first.positions[0])
    with pytest.raises(ValueError, match="limit must be a positive int"):
        load_qm9(limit=0, cache_dir=tmp_path)


def test_missing_qm9pack_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "qm9pack", None)  # find_spec then returns None
    with pytest.raises(ModuleNotFoundError, match="pip install qm9pack"):
        load_qm9(limit=3, cache_dir=tmp_path)


def test_split_is_seeded_disjoint_and_nested():
    n = 130_831
    splits = {size: qm9_split(n, size, seed=0) for size in (1000, 5000, 20_000)}
    small, mid, large = splits[1000], splits[5000], splits[20_000]
    for split, size in ((small, 1000), (mid, 5000), (large, 20_000)):
        assert len(split["train"]) == size and len(split["val"]) == 1000
        assert len(split["test"]) == 10_000
        everything = np.concatenate([split["train"], split["val"], split["test"]])
        assert len(np.unique(everything)) == len(everything)
        assert everything.min() >= 0 and everything.max() < n
        np.testing.assert_array_equal(split["test"], small["test"])
        np.testing.assert_array_equal(split["val"], small["val"])
    np.testing.assert_array_equal(mid["train"][:1000], small["train"])
    np.testing.assert_array_equal(large["train"][:5000], mid["train"])
    np.testing.assert_array_equal(qm9_split(n, 1000, seed=0)["test"], small["test"])
    other = qm9_split(n, 1000, seed=1)
    assert len(np.intersect1d(other["test"], small["test"])) < 2000  # ~ 10000^2 / n = 764
    # the biggest training set is everything left after validation and test
    assert len(qm9_split(n, n - 11_000)["train"]) == n - 11_000
    with pytest.raises(ValueError, match="exceeds n_molecules = 130831"):
        qm9_split(n, n - 10_999)
    with pytest.raises(ValueError, match="n_train must be an int >= 1"):
        qm9_split(n, 0)
