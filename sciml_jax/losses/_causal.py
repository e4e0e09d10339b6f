"""Causal weighting of PINN residuals over time slabs (Wang, Sankaran, Perdikaris 2024)."""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float


def causal_weights(slab_losses: Float[Array, " m"], epsilon: float) -> Float[Array, " m"]:
    r"""Causal weights $w_i = \exp(-\epsilon \sum_{k<i} L_k)$ over time slabs (no gradient).

    A PINN may fit late times before early ones, violating causality. Weighting the
    residual of slab $i$ by how well all earlier slabs are already fitted makes training
    proceed forward in time; training has converged causally when all $w_i \approx 1$.

    **Reference:** Wang, Sankaran, Perdikaris, "Respecting causality for training
    physics-informed neural networks", CMAME 421 (2024).
    """
    cumulative = jnp.concatenate([jnp.zeros(1, slab_losses.dtype), jnp.cumsum(slab_losses)[:-1]])
    return jax.lax.stop_gradient(jnp.exp(-epsilon * cumulative))


def causal_loss(
    residuals: Float[Array, "m n"], epsilon: float
) -> tuple[Float[Array, ""], Float[Array, " m"]]:
    """Causally weighted mean squared residual from residuals grouped by time slab.

    **Arguments:**

    - `residuals`: shape `(m, n)`: `n` residual values in each of `m` slabs, earliest first.
    - `epsilon`: causality strength (jaxpi uses 1 to 100).

    **Returns:** `(loss, weights)`: the scalar loss and the `(m,)` weights (for logging).
    """
    slab_losses = jnp.mean(residuals**2, axis=1)
    weights = causal_weights(slab_losses, epsilon)
    return jnp.mean(weights * slab_losses), weights
