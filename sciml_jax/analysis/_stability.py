"""Linear stability of time steppers: Fourier symbols, spectral radii, Jacobian spectra."""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array, PyTree


def fourier_symbol(step: Callable[[Array], Array], state_shape: tuple[int, ...]) -> Array:
    """The amplification factors of a linear, translation-invariant periodic step.

    A linear map that commutes with periodic shifts is a (block-)circulant matrix; its
    eigenvalues are the DFT of its response to a unit impulse,
    $\\lambda_k = \\sum_j (S\\delta)_j e^{-2\\pi i jk/n}$. One call of the step gives all
    of them, with no dense matrix.

    **Arguments:**

    - `step`: a linear stepper acting on one state of `state_shape` (one channel).
    - `state_shape`: `(1, n, ..., n)`.

    **Returns:**

    The complex symbol `(n, ..., n)` in FFT order.

    **Example:**

    ```python
    lam = fourier_symbol(HeatExplicit(1, 1.0, 64, 1e-4), (1, 64))
    # == 1 - 4 (alpha dt / dx^2) sin^2(pi k / 64)
    ```
    """
    if len(state_shape) < 2 or state_shape[0] != 1:
        raise ValueError(
            f"state_shape must be (1, n, ..., n) for a one-channel periodic state, got "
            f"{state_shape}; multi-channel steppers need `jacobian_spectrum`."
        )
    impulse = jnp.zeros(state_shape).at[(0,) * len(state_shape)].set(1.0)
    response = step(impulse)[0]
    return jnp.fft.fftn(response)


def spectral_radius(step: Callable[[Array], Array], state_shape: tuple[int, ...]) -> Array:
    """$\\max_k |\\lambda_k|$ of a linear periodic step from its `fourier_symbol`."""
    return jnp.max(jnp.abs(fourier_symbol(step, state_shape)))


def jacobian_spectrum(step: Callable[[PyTree], PyTree], state: Array) -> np.ndarray:
    """Eigenvalues of the Jacobian of any step at `state` (dense, `jax.jacfwd` + eig).

    For a linear step this is its full spectrum (the dense check of `fourier_symbol`);
    at an equilibrium $u^* = S(u^*)$ of a nonlinear step, $|\\lambda| < 1$ for all
    eigenvalues means the equilibrium is linearly stable. Costs $O(n^3)$ in the number of
    state entries, so use it on small grids.

    **Returns:**

    A NumPy array of complex eigenvalues, sorted by decreasing modulus.
    """
    size = state.size
    flat_step = lambda flat: jnp.ravel(step(flat.reshape(state.shape)))
    matrix = np.asarray(jax.jacfwd(flat_step)(jnp.ravel(state))).reshape(size, size)
    eigenvalues = np.linalg.eigvals(matrix)
    return eigenvalues[np.argsort(-np.abs(eigenvalues))]


def max_stable_dt(
    stepper: eqx.Module | Callable[[float], Callable[[Array], Array]],
    *,
    state_shape: tuple[int, ...] | None = None,
    dt_max: float = 1.0,
    tolerance: float = 1e-12,
    relative_precision: float = 1e-10,
) -> float:
    """The largest `dt` for which a linear periodic stepper has spectral radius <= 1.

    Bisection on $\\rho(dt) = \\max_k |\\lambda_k(dt)|$, assuming (as for explicit
    schemes) that the step is stable below some threshold and unstable above it.

    **Arguments:**

    - `stepper`: an `equinox.Module` with a field `dt` that is read at call time (e.g.
      `sciml_jax.sim.HeatExplicit`; its `state_shape` attribute is used), or a factory
      `dt -> step` (then pass `state_shape`). Steppers that precompute coefficients from
      `dt` (the ETDRK steppers) must be passed as a factory.
    - `state_shape`: `(1, n, ..., n)`; needed for a factory.
    - `dt_max`: upper end of the search; returned if still stable there.
    - `tolerance`: $\\rho \\le 1 +$ `tolerance` counts as stable (round-off).
    - `relative_precision`: bisection stops at this relative width.

    **Returns:**

    The critical `dt` as a Python float. For `HeatExplicit` in 1D it is
    $h^2 / (2\\alpha)$.
    """
    if isinstance(stepper, eqx.Module):
        module = stepper
        if state_shape is None:
            state_shape = module.state_shape
        make_step = lambda dt: eqx.tree_at(lambda s: s.dt, module, dt)
    elif callable(stepper):
        if state_shape is None:
            raise ValueError(
                "max_stable_dt got a factory dt -> step but no state_shape; "
                "pass state_shape=(1, n, ..., n)."
            )
        make_step = stepper
    else:
        raise ValueError(
            f"max_stable_dt expects an equinox Module with a `dt` field or a factory "
            f"dt -> step, got {type(stepper).__name__}."
        )
    radius = jax.jit(lambda dt: spectral_radius(make_step(dt), state_shape))
    if float(radius(dt_max)) <= 1 + tolerance:
        return float(dt_max)
    low, high = 0.0, float(dt_max)
    while high - low > relative_precision * high:
        middle = 0.5 * (low + high)
        if float(radius(middle)) <= 1 + tolerance:
            low = middle
        else:
            high = middle
    return low
