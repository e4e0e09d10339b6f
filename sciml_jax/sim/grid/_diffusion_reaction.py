"""The DeepONet diffusion-reaction benchmark (Lu et al. 2021): a source term to solution map.

    s_t = D s_xx + k s^2 + u(x),   x in [0, 1], t in [0, 1],   s(x, 0) = 0,   s(0, t) = s(1, t) = 0

with ``D = k = 0.01`` and the source ``u`` drawn from a Gaussian process with the RBF
kernel (length scale 0.2), read by the branch net at m = 100 sensors. The operator maps
``u`` to the whole space-time field ``s(x, t)``.

The solver is a second-order finite-difference method of lines on the interior points of
a uniform grid, stepped by an implicit-explicit (IMEX) predictor-corrector: Crank-Nicolson
for the stiff diffusion (solved exactly in the sine basis that diagonalises the Dirichlet
Laplacian, `sciml_jax.ops.dst1`) and Heun's trapezoid for the reaction and the source, so
the step is second order in time and stable for any ``dt`` on the diffusion.
"""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp

from ..._types import Array, Float
from ...ops import dst1, fd_laplacian_eigenvalues, fd_spacing
from .._rollout import rollout

__all__ = ["DiffusionReactionStepper", "solve_diffusion_reaction"]


class DiffusionReactionStepper(eqx.Module):
    """One IMEX step of ``s_t = D s_xx + k s^2 + f(x, t)`` with zero Dirichlet boundaries.

    With ``A = D Delta_h`` (the three-point Laplacian on the `num_points` interior points of
    ``[0, L]``, spacing ``h = L / (n + 1)``) and ``N(s, t) = k s^2 + f(t)``:

    $$ (I - \\tfrac{dt}{2} A)\\, s^* = (I + \\tfrac{dt}{2} A)\\, s^n + dt\\, N(s^n, t_n) $$
    $$ (I - \\tfrac{dt}{2} A)\\, s^{n+1} = (I + \\tfrac{dt}{2} A)\\, s^n
       + \\tfrac{dt}{2} \\big(N(s^n, t_n) + N(s^*, t_{n+1})\\big) $$

    Crank-Nicolson on the diffusion (amplification in ``(-1, 1]`` for every ``dt``) and a
    Heun predictor-corrector on the explicit part: second order in ``h`` and ``dt``. The
    matrix ``I - dt A / 2`` is diagonal in the type-I sine basis, so a solve is two DSTs.

    **Arguments:** `num_points` (interior points n), `domain_extent` (L), `dt`,
    `diffusivity` (D), `reaction` (k).

    **Returns:** `__call__(s, f_now, f_next)` maps the interior values ``s: (n,)`` and the
    source at the two ends of the step to the next interior values ``(n,)``.
    """

    num_points: int = eqx.field(static=True)
    domain_extent: float = eqx.field(static=True)
    dt: float
    diffusivity: float
    reaction: float

    def __init__(
        self,
        num_points: int,
        dt: float,
        *,
        domain_extent: float = 1.0,
        diffusivity: float = 0.01,
        reaction: float = 0.01,
    ):
        if not isinstance(num_points, int) or num_points < 2:
            raise ValueError(f"num_points={num_points!r}; expected an int >= 2 interior points.")
        if isinstance(dt, int | float) and not dt > 0:
            raise ValueError(f"dt={dt!r}; expected a positive time step.")
        if isinstance(diffusivity, int | float) and not diffusivity >= 0:
            raise ValueError(f"diffusivity={diffusivity!r}; expected D >= 0.")
        self.num_points = num_points
        self.domain_extent = float(domain_extent)
        self.dt = dt
        self.diffusivity = diffusivity
        self.reaction = reaction

    @property
    def spacing(self) -> float:
        return fd_spacing(self.domain_extent, self.num_points, "dirichlet")

    def _solve(self, s_hat, explicit_hat):
        """``(I - dt A/2)^{-1} ((I + dt A/2) s + explicit)``, everything in the sine basis."""
        half = 0.5 * self.dt * self.diffusivity
        eig = fd_laplacian_eigenvalues(self.num_points, self.spacing, "dirichlet")
        coefficients = ((1 + half * eig) * s_hat + explicit_hat) / (1 - half * eig)
        return dst1(coefficients) * (2 / (self.num_points + 1))

    def __call__(
        self, s: Float[Array, " n"], f_now: Float[Array, " n"], f_next: Float[Array, " n"]
    ) -> Float[Array, " n"]:
        s_hat = dst1(s)
        explicit_now = self.reaction * s**2 + f_now
        predicted = self._solve(s_hat, self.dt * dst1(explicit_now))
        explicit_next = self.reaction * predicted**2 + f_next
        return self._solve(s_hat, 0.5 * self.dt * dst1(explicit_now + explicit_next))


def solve_diffusion_reaction(
    source: Float[Array, " n"] | Callable[[Array], Float[Array, " n"]],
    *,
    num_points: int,
    num_steps: int,
    t_final: float = 1.0,
    save_every: int = 1,
    domain_extent: float = 1.0,
    diffusivity: float = 0.01,
    reaction: float = 0.01,
    initial: Float[Array, " n"] | None = None,
) -> Float[Array, "saves n"]:
    """Solve ``s_t = D s_xx + k s^2 + f``, zero Dirichlet boundaries (`DiffusionReactionStepper`).

    **Arguments:**

    - `source`: the source on the interior points ``x_i = i h``, ``i = 1..n``, either an
      array ``(n,)`` (time independent, as in the DeepONet benchmark) or a function
      ``t -> (n,)``.
    - `num_points`: n interior points, ``h = L / (n + 1)``.
    - `num_steps`, `t_final`: ``dt = t_final / num_steps``.
    - `save_every`: steps between saved states (`num_steps` must be a multiple).
    - `domain_extent`, `diffusivity`, `reaction`: L, D, k.
    - `initial`: interior values at ``t = 0`` (zero if None).

    **Returns:** ``(num_steps // save_every + 1, n)`` interior values at
    ``t = 0, save_every dt, ...``; the boundary values are zero and not stored.

    ```python
    n = 199
    x = jnp.arange(1, n + 1) / (n + 1)
    s = solve_diffusion_reaction(jnp.sin(jnp.pi * x), num_points=n, num_steps=400)
    ```
    """
    if num_steps < 1 or num_steps % save_every != 0:
        raise ValueError(
            f"num_steps={num_steps}, save_every={save_every}; num_steps must be a positive "
            "multiple of save_every."
        )
    dt = t_final / num_steps
    stepper = DiffusionReactionStepper(
        num_points,
        dt,
        domain_extent=domain_extent,
        diffusivity=diffusivity,
        reaction=reaction,
    )
    if callable(source):
        forcing = source
    else:
        source = jnp.asarray(source)
        if source.shape != (num_points,):
            raise ValueError(
                f"source has shape {source.shape}; expected ({num_points},), its values at "
                "the interior points, or a function of t returning them."
            )
        forcing = lambda t: source  # noqa: E731
    s0 = jnp.zeros(num_points) if initial is None else jnp.asarray(initial)

    def step(state):
        s, n = state
        # time from the step count, so no rounding error accumulates in t
        t_now, t_next = n * dt, (n + 1) * dt
        return stepper(s, forcing(t_now), forcing(t_next)), n + 1

    states, _ = rollout(step, (s0, jnp.zeros((), jnp.int32)), num_steps, save_every)
    return states
