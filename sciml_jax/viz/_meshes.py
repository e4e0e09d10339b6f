"""Fields on a periodic triangle mesh: rollouts of mesh emulators against the reference."""

from collections.abc import Mapping, Sequence

import numpy as np


def plot_mesh_rollout(
    triangle_vertices,
    triangles,
    fields: Mapping[str, np.ndarray],
    steps: Sequence[int],
    *,
    show_mesh: bool = True,
    cmap: str = "RdBu_r",
):
    """One row per field (reference first), one column per rollout step, each a Gouraud-
    shaded colour map on the mesh, clipped to the unit square, in the reference's colour
    range.

    **Arguments:**

    - `triangle_vertices`: ``(T, 3, 2)`` unwrapped vertex coordinates (a triangle wrapping
      round the periodic boundary overhangs the square; `PeriodicMesh.triangle_vertices`).
    - `triangles`: ``(T, 3)`` node indices of those vertices.
    - `fields`: name -> ``(steps_total, n)`` node values; `steps` index their first axis
      and label the columns ``step s + 1``.
    - `show_mesh`: draw the edges of the first panel.

    **Returns:** the figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.tri import Triangulation

    # every triangle gets its own three vertices, drawn with its eight periodic copies, so
    # the parts that overhang one side of the square fill the opposite side
    shifts = np.array([(i, j) for i in (-1, 0, 1) for j in (-1, 0, 1)], dtype=float)
    tiles = np.asarray(triangle_vertices)[None] + shifts[:, None, None]
    vertices = tiles.reshape(-1, 2)
    corners = np.tile(np.asarray(triangles).reshape(-1), len(shifts))
    mesh = Triangulation(vertices[:, 0], vertices[:, 1], np.arange(corners.size).reshape(-1, 3))
    values = {name: np.asarray(f) for name, f in fields.items()}
    # the reference's range: a blowing-up prediction saturates instead of washing it out
    limit = float(np.max(np.abs(next(iter(values.values()))[list(steps)])))
    rows, cols = len(values), len(steps)
    figure, axes = plt.subplots(
        rows, cols, figsize=(2.4 * cols + 0.8, 2.3 * rows), squeeze=False, constrained_layout=True
    )
    image = None
    for r, (name, f) in enumerate(values.items()):
        for c, s in enumerate(steps):
            axis = axes[r, c]
            image = axis.tripcolor(
                mesh, f[s][corners], shading="gouraud", cmap=cmap, vmin=-limit, vmax=limit
            )
            if show_mesh and r == 0 and c == 0:
                axis.triplot(mesh, color="k", linewidth=0.2, alpha=0.5)
            axis.set_xlim(0, 1)
            axis.set_ylim(0, 1)
            axis.set_aspect("equal")
            axis.set_xticks([])
            axis.set_yticks([])
            if r == 0:
                axis.set_title(f"step {s + 1}")
            if c == 0:
                axis.set_ylabel(name)
    figure.colorbar(image, ax=axes, shrink=0.8)
    return figure
