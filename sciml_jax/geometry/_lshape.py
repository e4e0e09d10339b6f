"""The L-shaped domain: a rectangle with its upper-right corner cut away."""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._domains import AbstractDomain, _as_tuple


class LShape(AbstractDomain):
    r"""The L-shaped region $[lo, hi] \setminus (c_0, hi_0] \times (c_1, hi_1]$ in the plane.

    The rectangle `[lo, hi]` with the box above and to the right of the re-entrant
    corner `c` removed. It is the union of two rectangles that meet along `y = c_1`,

    $$ B = [lo_0, hi_0] \times [lo_1, c_1], \qquad T = [lo_0, c_0] \times [c_1, hi_1], $$

    and interior points are placed in `B` or `T` with probabilities proportional to their
    areas, the unit number that chooses being stretched back to a coordinate: the map
    from the unit square has a constant Jacobian (the area), so every sampler stays
    uniform. Boundary points are uniform in arc length along the six edges, taken
    anticlockwise from `lo`. The corner `c` is re-entrant (interior angle $3\pi/2$): a
    Poisson solution there behaves like $r^{2/3}\sin(2\theta/3)$ and its gradient is
    unbounded, the classic test of adaptivity.

    Another orientation of the L is a reflection of the coordinates of this one.

    **Arguments:**

    - `lo`, `hi`: the corners of the enclosing rectangle.
    - `corner`: the re-entrant corner, strictly inside the rectangle.

    **Example:**

    ```python
    domain = LShape((0.0, 0.0), (1.0, 1.0), corner=(0.5, 0.5))   # area 0.75
    points = domain.sample_interior(jax.random.key(0), 1000)     # (1000, 2)
    edge = domain.sample_boundary(jax.random.key(1), 200)        # on the six edges
    normals = jax.vmap(domain.outward_normal)(edge)               # (200, 2)
    ```
    """

    lo: tuple[float, float] = eqx.field(static=True)
    hi: tuple[float, float] = eqx.field(static=True)
    corner: tuple[float, float] = eqx.field(static=True)

    def __init__(self, lo=(0.0, 0.0), hi=(1.0, 1.0), corner=(0.5, 0.5)):
        lo, hi, corner = _as_tuple(lo, "lo"), _as_tuple(hi, "hi"), _as_tuple(corner, "corner")
        if not (len(lo) == len(hi) == len(corner) == 2) or not all(
            a < c < b for a, c, b in zip(lo, corner, hi, strict=True)
        ):
            raise ValueError(
                f"an L-shape needs 2-D lo < corner < hi in both coordinates, got lo={lo}, "
                f"hi={hi}, corner={corner}; e.g. LShape((0, 0), (1, 1), corner=(0.5, 0.5))."
            )
        self.lo, self.hi, self.corner = lo, hi, corner

    @property
    def dim(self) -> int:
        return 2

    @property
    def _areas(self) -> tuple[float, float]:
        (x0, y0), (x1, y1), (cx, cy) = self.lo, self.hi, self.corner
        return (x1 - x0) * (cy - y0), (cx - x0) * (y1 - cy)

    @property
    def volume(self) -> float:
        """The area: the rectangle's less the cut-away box's."""
        return float(sum(self._areas))

    @property
    def vertices(self) -> np.ndarray:
        """The six corners `(6, 2)`, anticlockwise from `lo`."""
        (x0, y0), (x1, y1), (cx, cy) = self.lo, self.hi, self.corner
        return np.array([(x0, y0), (x1, y0), (x1, cy), (cx, cy), (cx, y1), (x0, y1)])

    @property
    def perimeter(self) -> float:
        edges = np.roll(self.vertices, -1, axis=0) - self.vertices
        return float(np.sum(np.linalg.norm(edges, axis=1)))

    def from_unit(self, u):
        (x0, y0), (x1, y1), (cx, cy) = self.lo, self.hi, self.corner
        bottom, top = self._areas
        p = bottom / (bottom + top)
        in_bottom = u[:, 0] < p
        # The choosing number, stretched back to [0, 1] within the chosen rectangle.
        s = jnp.where(in_bottom, u[:, 0] / p, (u[:, 0] - p) / (1 - p))
        x = jnp.where(in_bottom, x0 + (x1 - x0) * s, x0 + (cx - x0) * s)
        y = jnp.where(in_bottom, y0 + (cy - y0) * u[:, 1], cy + (y1 - cy) * u[:, 1])
        return jnp.stack([x, y], axis=-1)

    def boundary_from_unit(self, u):
        start = self.vertices
        edges = np.roll(start, -1, axis=0) - start
        lengths = np.linalg.norm(edges, axis=1)
        ends = np.cumsum(lengths)
        s = u[:, 0] * ends[-1]
        edge = jnp.minimum(jnp.searchsorted(jnp.asarray(ends, u.dtype), s, side="right"), 5)
        begin = jnp.asarray(ends - lengths, u.dtype)[edge]
        t = jnp.clip((s - begin) / jnp.asarray(lengths, u.dtype)[edge], 0.0, 1.0)
        return jnp.asarray(start, u.dtype)[edge] + t[:, None] * jnp.asarray(edges, u.dtype)[edge]

    @property
    def edge_normals(self) -> np.ndarray:
        """The outward unit normals of the six edges `(6, 2)`, edge `i` running from
        vertex `i` to vertex `i + 1`: each edge direction turned clockwise, as the
        boundary is walked anticlockwise."""
        edges = np.roll(self.vertices, -1, axis=0) - self.vertices
        return np.stack([edges[:, 1], -edges[:, 0]], axis=1) / np.linalg.norm(
            edges, axis=1, keepdims=True
        )

    def outward_normal(self, p: Float[Array, " 2"]) -> Float[Array, " 2"]:
        """The outward unit normal at a boundary point `p` `(2,)`: that of the nearest
        edge (at a vertex, the first edge of the two, anticlockwise from `lo`). For the
        Neumann loss `losses.neumann_loss(..., normal=domain.outward_normal)`; vmap it
        for a batch, and append a zero for the time component of space-time points."""
        start = jnp.asarray(self.vertices, p.dtype)
        edges = jnp.roll(start, -1, axis=0) - start
        # Distance from p to each segment start + s * edge, s in [0, 1].
        s = jnp.clip(jnp.sum((p - start) * edges, axis=1) / jnp.sum(edges**2, axis=1), 0, 1)
        distance = jnp.linalg.norm(p - (start + s[:, None] * edges), axis=1)
        return jnp.asarray(self.edge_normals, p.dtype)[jnp.argmin(distance)]

    def contains(self, p):
        lo, hi = jnp.asarray(self.lo, p.dtype), jnp.asarray(self.hi, p.dtype)
        corner = jnp.asarray(self.corner, p.dtype)
        in_box = jnp.all((p >= lo) & (p <= hi), axis=-1)
        return in_box & ~jnp.all(p > corner, axis=-1)
