"""Density-based clustering of descriptor vectors (DBSCAN) and how pure the clusters are.

DBSCAN (Ester, Kriegel, Sander, Xu, KDD 1996) calls a point *core* if at least
`min_samples` points (itself included) lie within distance `eps` of it; clusters are the
connected components of core points under "within `eps`", each with the non-core points
within `eps` of one of its core points (*border* points); the rest is noise. Here it runs
on Euclidean distances between descriptors (Coulomb-matrix eigenvalues of molecules,
composition features of materials) through scikit-learn's implementation.
"""

from collections import Counter
from collections.abc import Sequence

import numpy as np
from jaxtyping import ArrayLike


def dbscan_clusters(
    features: ArrayLike, *, eps: float, min_samples: int
) -> tuple[np.ndarray, np.ndarray]:
    """DBSCAN on the Euclidean distances between the rows of `features`.

    **Arguments:**

    - `features`: `(m, d)` descriptors, one row per sample.
    - `eps`: the neighbourhood radius, in the units of the descriptors.
    - `min_samples`: points within `eps` (the point included) that make a point core.

    **Returns:** `(labels, is_core)`: `(m,)` int cluster labels `0, 1, ...` with `-1` for
    noise, and `(m,)` bool, True for core points. The core points' partition and the noise
    are determined by `eps` and `min_samples`; a border point within `eps` of two clusters
    joins the one scikit-learn reaches first.

    **Example:**

    ```python
    labels, is_core = dbscan_clusters(eigenvalues, eps=2.0, min_samples=3)
    n_clusters = labels.max() + 1
    ```
    """
    from sklearn.cluster import DBSCAN  # scikit-learn is slow to import: only when used

    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < 1:
        raise ValueError(f"dbscan_clusters: features must be (m, d), got shape {features.shape}.")
    if not eps > 0 or int(min_samples) != min_samples or min_samples < 1:
        raise ValueError(
            f"dbscan_clusters: need eps > 0 and an integer min_samples >= 1, got eps={eps}, "
            f"min_samples={min_samples}."
        )
    model = DBSCAN(eps=eps, min_samples=int(min_samples), metric="euclidean").fit(features)
    is_core = np.zeros(features.shape[0], dtype=bool)
    is_core[model.core_sample_indices_] = True
    return model.labels_.astype(np.int64), is_core


def cluster_purity(labels: ArrayLike, classes: Sequence) -> float:
    """The fraction of clustered samples that carry their cluster's most common class.

    1.0 means every cluster holds a single class (one chemical formula, one heavy-atom
    count); noise (`label == -1`) is left out.

    **Arguments:** `labels` `(m,)` from `dbscan_clusters`, `classes` `(m,)` hashable
    class of each sample.

    **Returns:** the purity in `(0, 1]`.

    **Raises:** `ValueError` if every sample is noise (no cluster to score).
    """
    labels = np.asarray(labels)
    classes = list(classes)
    if len(classes) != labels.shape[0]:
        raise ValueError(f"cluster_purity: {labels.shape[0]} labels but {len(classes)} classes.")
    clustered = np.flatnonzero(labels >= 0)
    if clustered.size == 0:
        raise ValueError("cluster_purity: every sample is noise; raise eps or lower min_samples.")
    members: dict[int, Counter] = {}
    for i in clustered:
        members.setdefault(int(labels[i]), Counter())[classes[i]] += 1
    majority = sum(counter.most_common(1)[0][1] for counter in members.values())
    return majority / clustered.size
