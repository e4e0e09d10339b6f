"""Domains for collocation: interval, box, disk, and space x time products.

Every domain maps points of the unit cube `[0, 1]^dim` onto itself (`from_unit`), so
every sampler (uniform, Latin hypercube, Sobol) works on every domain: the sampler
draws unit-cube points and the domain places them. Space-time points are ordered
`(x, [y, [z]], t)`: time is the last coordinate.
"""

import abc
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, PRNGKeyArray


def _as_tuple(values, name: str) -> tuple[float, ...]:
    values = np.atleast_1d(np.asarray(values, dtype=float))
    if values.ndim != 1:
        raise ValueError(f"{name} must be a scalar or a 1-D sequence, got shape {values.shape}.")
    return tuple(float(v) for v in values)


class AbstractDomain(eqx.Module):
    """A region of R^dim with an interior and a boundary that can be sampled.

    Subclasses give `dim`, `from_unit` (unit cube -> interior, measure preserving up to
    a constant), `boundary_from_unit` (unit cube of dimension `dim - 1`... mapped onto
    the boundary, uniformly in surface measure; it receives `dim` unit numbers and may
    ignore some), and `contains`.
    """

    @property
    @abc.abstractmethod
    def dim(self) -> int:
        raise NotImplementedError

    @abc.abstractmethod
    def from_unit(self, u: Float[Array, "n dim"]) -> Float[Array, "n dim"]:
        raise NotImplementedError

    @abc.abstractmethod
    def boundary_from_unit(self, u: Float[Array, "n dim"]) -> Float[Array, "n dim"]:
        raise NotImplementedError

    @abc.abstractmethod
    def contains(self, p: Float[Array, "n dim"]) -> Bool[Array, " n"]:
        raise NotImplementedError

    def sample_interior(self, key: PRNGKeyArray, n: int) -> Float[Array, "n dim"]:
        """`n` points uniform in the interior."""
        return self.from_unit(jax.random.uniform(key, (n, self.dim)))

    def sample_boundary(self, key: PRNGKeyArray, n: int) -> Float[Array, "n dim"]:
        """`n` points uniform on the boundary."""
        return self.boundary_from_unit(jax.random.uniform(key, (n, self.dim)))


class Box(AbstractDomain):
    r"""An axis-aligned box $\prod_i [lo_i, hi_i]$; `Interval` and `Rectangle` are boxes.

    **Arguments:**

    - `lo`, `hi`: lower and upper corners (scalars for an interval).

    **Example:**

    ```python
    square = Box((0.0, 0.0), (1.0, 1.0))
    points = square.sample_interior(jax.random.key(0), 1000)     # (1000, 2)
    ```
    """

    lo: tuple[float, ...] = eqx.field(static=True)
    hi: tuple[float, ...] = eqx.field(static=True)

    def __init__(self, lo, hi):
        lo, hi = _as_tuple(lo, "lo"), _as_tuple(hi, "hi")
        if len(lo) != len(hi) or any(a >= b for a, b in zip(lo, hi, strict=True)):
            raise ValueError(
                f"a box needs lo < hi in every coordinate and equal lengths, got lo={lo}, "
                f"hi={hi}; e.g. Box((-1.0, 0.0), (1.0, 1.0))."
            )
        self.lo, self.hi = lo, hi

    @property
    def dim(self) -> int:
        return len(self.lo)

    @property
    def volume(self) -> float:
        return float(np.prod(np.subtract(self.hi, self.lo)))

    def from_unit(self, u):
        lo, hi = jnp.asarray(self.lo, u.dtype), jnp.asarray(self.hi, u.dtype)
        return lo + (hi - lo) * u

    def boundary_from_unit(self, u):
        # Pick a face with probability proportional to its area, then a uniform point on
        # it; the first unit number picks the face, rescaled to stay uniform.
        lo, hi = np.asarray(self.lo), np.asarray(self.hi)
        dim = self.dim
        lengths = hi - lo
        areas = np.array([np.prod(np.delete(lengths, i)) if dim > 1 else 1.0 for i in range(dim)])
        face_cdf = np.cumsum(np.repeat(areas, 2)) / (2 * areas.sum())
        face_cdf_j = jnp.asarray(face_cdf, u.dtype)
        face = jnp.minimum(jnp.searchsorted(face_cdf_j, u[:, 0], side="right"), 2 * dim - 1)
        axis, side = face // 2, face % 2
        # Stretch the face-picking number back to [0, 1] within its face so it can also
        # serve as a coordinate without correlating position and face.
        start = jnp.concatenate([jnp.zeros(1, u.dtype), face_cdf_j])[face]
        stretched = (u[:, 0] - start) / (face_cdf_j[face] - start)
        points = self.from_unit(u.at[:, 0].set(jnp.clip(stretched, 0, 1)))
        value = jnp.where(side == 0, jnp.asarray(lo, u.dtype)[axis], jnp.asarray(hi, u.dtype)[axis])
        onehot = jax.nn.one_hot(axis, dim, dtype=bool)
        return jnp.where(onehot, value[:, None], points)

    def contains(self, p):
        lo, hi = jnp.asarray(self.lo, p.dtype), jnp.asarray(self.hi, p.dtype)
        return jnp.all((p >= lo) & (p <= hi), axis=-1)


def Interval(lo: float, hi: float) -> Box:
    """The interval `[lo, hi]`, a one-dimensional `Box`."""
    return Box((lo,), (hi,))


def Rectangle(lo: Sequence[float], hi: Sequence[float]) -> Box:
    """The rectangle `[lo_0, hi_0] x [lo_1, hi_1]`, a two-dimensional `Box`."""
    if len(lo) != 2 or len(hi) != 2:
        raise ValueError(f"a rectangle needs two lower and two upper bounds, got {lo}, {hi}.")
    return Box(lo, hi)


class Disk(AbstractDomain):
    r"""The disk $|p - c| \le r$ in the plane.

    Interior points use $\rho = r\sqrt{u_0}$, $\theta = 2\pi u_1$, which is uniform in
    area, so low-discrepancy unit points stay well spread.

    **Arguments:**

    - `center`: `(cx, cy)`; `radius`: `r > 0`.
    """

    center: tuple[float, float] = eqx.field(static=True)
    radius: float = eqx.field(static=True)

    def __init__(self, center=(0.0, 0.0), radius: float = 1.0):
        center = _as_tuple(center, "center")
        if len(center) != 2 or not radius > 0:
            raise ValueError(f"a disk needs a 2-D center and radius > 0, got {center}, {radius}.")
        self.center, self.radius = center, float(radius)

    @property
    def dim(self) -> int:
        return 2

    @property
    def volume(self) -> float:
        return float(np.pi * self.radius**2)

    def from_unit(self, u):
        rho = self.radius * jnp.sqrt(u[:, 0])
        theta = 2 * jnp.pi * u[:, 1]
        return jnp.asarray(self.center, u.dtype) + rho[:, None] * jnp.stack(
            [jnp.cos(theta), jnp.sin(theta)], axis=-1
        )

    def boundary_from_unit(self, u):
        theta = 2 * jnp.pi * u[:, 0]
        return jnp.asarray(self.center, u.dtype) + self.radius * jnp.stack(
            [jnp.cos(theta), jnp.sin(theta)], axis=-1
        )

    def contains(self, p):
        return jnp.sum((p - jnp.asarray(self.center, p.dtype)) ** 2, axis=-1) <= self.radius**2 * (
            1 + 1e-6
        )


class TimeDomain(AbstractDomain):
    r"""A space-time cylinder $\Omega \times [t_0, t_1]$; points are `(space..., t)`.

    Three subsets: the interior (`sample_interior`), the lateral boundary
    $\partial\Omega \times [t_0, t_1]$ (`sample_boundary`), and the initial slice
    $\Omega \times \{t_0\}$ (`sample_initial`).

    **Arguments:**

    - `space`: any spatial domain.
    - `t0`, `t1`: the time interval, `t0 < t1`.

    **Example:**

    ```python
    domain = TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0)    # Burgers
    x_t = domain.sample_initial(key, 100)                  # (100, 2) with t = 0
    ```
    """

    space: AbstractDomain
    t0: float = eqx.field(static=True)
    t1: float = eqx.field(static=True)

    def __init__(self, space: AbstractDomain, t0: float, t1: float):
        if not t1 > t0:
            raise ValueError(f"TimeDomain needs t0 < t1, got t0={t0}, t1={t1}.")
        self.space, self.t0, self.t1 = space, float(t0), float(t1)

    @property
    def dim(self) -> int:
        return self.space.dim + 1

    def _time(self, u):
        return self.t0 + (self.t1 - self.t0) * u

    def from_unit(self, u):
        return jnp.concatenate([self.space.from_unit(u[:, :-1]), self._time(u[:, -1:])], axis=1)

    def boundary_from_unit(self, u):
        return jnp.concatenate(
            [self.space.boundary_from_unit(u[:, :-1]), self._time(u[:, -1:])], axis=1
        )

    def initial_from_unit(self, u):
        """Unit points (their last coordinate ignored) onto the initial slice `t = t0`."""
        x = self.space.from_unit(u[:, :-1])
        return jnp.concatenate([x, jnp.full((u.shape[0], 1), self.t0, u.dtype)], axis=1)

    def sample_initial(self, key: PRNGKeyArray, n: int) -> Float[Array, "n dim"]:
        """`n` points uniform on the initial slice."""
        return self.initial_from_unit(jax.random.uniform(key, (n, self.dim)))

    def contains(self, p):
        return self.space.contains(p[:, :-1]) & (p[:, -1] >= self.t0) & (p[:, -1] <= self.t1)
