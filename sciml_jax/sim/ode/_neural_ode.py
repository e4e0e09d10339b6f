"""Neural ODEs: a learned vector field integrated by diffrax."""

from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp

from ..._types import Array, Float
from ._ode import ADJOINTS, SOLVERS, solve_ode


class NeuralODE(eqx.Module):
    """$\\dot y = f_\\theta(y)$ (or $f_\\theta([t, y])$), solved from $y_0$ at the times `ts`.

    The vector field is any callable PyTree (e.g. an MLP from `sciml_jax.nn`); its
    parameters are trained through the solve with the chosen diffrax adjoint.

    **Arguments:**

    - `vector_field`: $f_\\theta$; maps a state `(dim,)` to its derivative (or
      `(dim + 1,)` with time prepended when `autonomous=False`).
    - `solver`: a name from `SOLVERS` (default `"tsit5"`).
    - `rtol`, `atol`: adaptive tolerances.
    - `adjoint`: a name from `ADJOINTS`.
    - `autonomous`: whether $f$ ignores time.

    **Example:**

    ```python
    node = NeuralODE(MLP(2, 2, width=64, depth=2))   # vector field (2,) -> (2,)
    ys = node(jnp.linspace(0, 10, 100), y0)           # (100, 2)
    ```
    """

    vector_field: Callable[[Array], Array]
    solver: str = eqx.field(static=True, default="tsit5")
    rtol: float = eqx.field(static=True, default=1e-5)
    atol: float = eqx.field(static=True, default=1e-7)
    adjoint: str = eqx.field(static=True, default="recursive_checkpoint")
    autonomous: bool = eqx.field(static=True, default=True)
    max_steps: int = eqx.field(static=True, default=4096)

    def __check_init__(self):
        if self.solver not in SOLVERS or self.adjoint not in ADJOINTS:
            raise ValueError(
                f"NeuralODE got solver={self.solver!r}, adjoint={self.adjoint!r}; "
                f"solvers: {sorted(SOLVERS)}, adjoints: {sorted(ADJOINTS)}."
            )

    def __call__(self, ts: Float[Array, " times"], y0: Float[Array, " dim"]) -> Array:
        """The trajectory at `ts` (`ts[0]` is the initial time), shape `(len(ts), dim)`."""

        autonomous = self.autonomous

        # The parameters travel as diffrax `args`, not as a closure: the continuous
        # (backsolve) adjoint only differentiates with respect to explicit arguments.
        def field(t, y, vector_field):
            if autonomous:
                return vector_field(y)
            return vector_field(jnp.concatenate([jnp.reshape(t, (1,)), y]))

        solution = solve_ode(
            field,
            y0,
            ts[0],
            ts[-1],
            saveat=ts,
            solver=self.solver,
            controller="pid",
            dt0=None,
            rtol=self.rtol,
            atol=self.atol,
            adjoint=self.adjoint,
            max_steps=self.max_steps,
            args=self.vector_field,
        )
        return solution.ys
