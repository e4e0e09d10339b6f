"""An irregular triangulation of the periodic unit square (the torus), for mesh-graph models.

Points come from a jittered lattice: an ``m x m`` grid, each point moved uniformly by up to
`jitter` of the spacing. The mesh is irregular (no two edges alike) but its quality stays
bounded: for `jitter` < 0.5 no two points come closer than ``(1 - 2 jitter) / m``, so the
triangles have no slivers and the edge lengths stay within a small factor of ``1 / m``.

The triangulation is the periodic Delaunay one: Delaunay of the 3 x 3 tiling of the points
(scipy.spatial.Delaunay, host side), keeping each triangle whose centroid lies in the base
cell, with vertices taken modulo the number of points. Every triangle of the torus has
exactly one periodic copy with its centroid in the base cell, so each is kept exactly once;
translating the points (modulo 1) gives the same triangles.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["PeriodicMesh", "jittered_points", "periodic_triangulation", "minimum_image"]


def minimum_image(displacement: np.ndarray) -> np.ndarray:
    """The periodic minimum image of displacements in the unit square: each component in
    ``[-1/2, 1/2)``."""
    return displacement - np.floor(displacement + 0.5)


class PeriodicMesh(NamedTuple):
    """A triangulation of the unit torus and its directed edge list.

    - `points`: ``(n, 2)`` node positions in ``[0, 1)^2``.
    - `triangles`: ``(T, 3)`` node indices, counter-clockwise (``T = 2 n`` on the torus).
    - `senders`, `receivers`: ``(E,)`` int, both directions of every mesh edge
      (``E = 6 n``); a message travels sender -> receiver.
    - `displacements`: ``(E, 2)`` minimum-image ``x_sender - x_receiver``: where, seen
      from the receiver, the message comes from.
    """

    points: np.ndarray
    triangles: np.ndarray
    senders: np.ndarray
    receivers: np.ndarray
    displacements: np.ndarray

    @property
    def num_nodes(self) -> int:
        return self.points.shape[0]

    def triangle_vertices(self) -> np.ndarray:
        """``(T, 3, 2)`` vertex coordinates of each triangle, unwrapped across the periodic
        boundary (first vertex in the cell, the others at their minimum images from it): the
        triangles as drawn, overhanging the unit square where they wrap."""
        first = self.points[self.triangles[:, :1]]
        return first + minimum_image(self.points[self.triangles] - first)


def jittered_points(points_per_axis: int, jitter: float = 0.3, seed: int = 0) -> np.ndarray:
    """``points_per_axis^2`` points of a lattice in the unit square, each moved uniformly by
    up to `jitter` lattice spacings per axis, wrapped into ``[0, 1)^2``; ``(n, 2)``."""
    if points_per_axis < 3:
        raise ValueError(
            f"points_per_axis={points_per_axis}; a periodic triangulation needs at least 3 "
            "points per axis (edges shorter than half the cell)."
        )
    if not 0.0 <= jitter < 0.5:
        raise ValueError(
            f"jitter={jitter}; expected 0 <= jitter < 0.5 lattice spacings (0.5 or more lets "
            "neighbouring points cross and the mesh degenerate)."
        )
    m = points_per_axis
    index = np.stack(np.meshgrid(np.arange(m), np.arange(m), indexing="ij"), -1).reshape(-1, 2)
    shift = np.random.default_rng(seed).uniform(-jitter, jitter, size=index.shape)
    return np.mod((index + 0.5 + shift) / m, 1.0)


def periodic_triangulation(points: np.ndarray) -> PeriodicMesh:
    """The periodic Delaunay triangulation of `points` in the unit torus (see the module
    docstring) with both directions of every edge."""
    from scipy.spatial import Delaunay

    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or points.shape[0] < 9:
        raise ValueError(
            f"points has shape {points.shape}; expected (n, 2) with n >= 9 points in the "
            "unit square (for example jittered_points(m))."
        )
    if np.any(points < 0.0) or np.any(points >= 1.0):
        raise ValueError(
            "points must lie in [0, 1)^2 (the periodic unit cell); wrap them with np.mod(p, 1)."
        )
    n = points.shape[0]
    offsets = np.array([(i, j) for i in (-1, 0, 1) for j in (-1, 0, 1)], dtype=np.float64)
    tiled = (points[None] + offsets[:, None]).reshape(-1, 2)  # copy c of node i at c * n + i
    simplices = Delaunay(tiled).simplices
    centroid = tiled[simplices].mean(axis=1)
    inside = np.all((centroid >= 0.0) & (centroid < 1.0), axis=1)
    corners = tiled[simplices[inside]]
    triangles = simplices[inside] % n
    # orient counter-clockwise (scipy does not promise an orientation)
    edge_a, edge_b = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    clockwise = edge_a[:, 0] * edge_b[:, 1] - edge_a[:, 1] * edge_b[:, 0] < 0
    triangles[clockwise] = triangles[clockwise][:, [0, 2, 1]]
    if triangles.shape[0] != 2 * n:
        raise ValueError(
            f"the periodic triangulation has {triangles.shape[0]} triangles for {n} points; "
            f"a triangulation of the torus has 2 n = {2 * n}. The points are too few or too "
            "clustered for a periodic mesh (use more, better spread points)."
        )
    pairs = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    undirected = np.unique(np.sort(pairs, axis=1), axis=0)
    senders = np.concatenate([undirected[:, 0], undirected[:, 1]])
    receivers = np.concatenate([undirected[:, 1], undirected[:, 0]])
    displacements = minimum_image(points[senders] - points[receivers])
    if np.max(np.linalg.norm(displacements, axis=1)) >= 0.5:
        raise ValueError(
            "a mesh edge is half the cell long or longer; its minimum image is ambiguous. "
            "Use more points."
        )
    return PeriodicMesh(points, triangles, senders, receivers, displacements)
