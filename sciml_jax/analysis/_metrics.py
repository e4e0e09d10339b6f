"""Error metrics that compare a prediction with a reference field."""

import jax.numpy as jnp
from jaxtyping import Array, Float


def rel_l2(prediction: Float[Array, "..."], reference: Float[Array, "..."]) -> Float[Array, ""]:
    """Relative L2 error `||prediction - reference||_2 / ||reference||_2` over all entries.

    **Arguments:**

    - `prediction`, `reference`: arrays of the same shape.

    **Returns:** a scalar; 0 means exact agreement.
    """
    prediction = jnp.asarray(prediction)
    reference = jnp.asarray(reference)
    if prediction.shape != reference.shape:
        raise ValueError(
            f"rel_l2 needs arrays of one shape, got prediction {prediction.shape} and "
            f"reference {reference.shape}; evaluate both on the same grid."
        )
    return jnp.linalg.norm((prediction - reference).ravel()) / jnp.linalg.norm(reference.ravel())
