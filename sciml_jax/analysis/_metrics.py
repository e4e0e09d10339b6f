"""Error metrics that compare a prediction with a reference field."""

import jax.numpy as jnp
from jaxtyping import Array, Float


def rel_l2(
    prediction: Float[Array, "..."], reference: Float[Array, "..."], eps: float = 0.0
) -> Float[Array, ""]:
    """Relative L2 error `||prediction - reference||_2 / (||reference||_2 + eps)`, all entries.

    The one implementation of the relative error: `losses.relative_l2_loss` (the operator
    training loss) and the autoregressive per-step NRMSE call it.

    **Arguments:**

    - `prediction`, `reference`: arrays of the same shape.
    - `eps`: guards a zero reference (0 by default: an exact metric).

    **Returns:** a scalar; 0 means exact agreement.
    """
    prediction = jnp.asarray(prediction)
    reference = jnp.asarray(reference)
    if prediction.shape != reference.shape:
        raise ValueError(
            f"rel_l2 needs arrays of one shape, got prediction {prediction.shape} and "
            f"reference {reference.shape}; evaluate both on the same grid."
        )
    difference = jnp.sqrt(jnp.sum((prediction - reference) ** 2))
    return difference / (jnp.sqrt(jnp.sum(reference**2)) + eps)
