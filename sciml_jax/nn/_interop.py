"""Training models from outside equinox: pure `apply(params, x)` functions and Flax."""

from collections.abc import Callable
from typing import Any

import equinox as eqx
from jaxtyping import PyTree


class PureFunctionModel(eqx.Module):
    """A parameter PyTree and a pure `apply(params, x)`, as an equinox module.

    The training engine trains the floating-point leaves of `params`; `apply` is static.

    **Example:**

    ```python
    def apply(params, x):
        return jnp.tanh(x @ params["w1"]) @ params["w2"]

    model = PureFunctionModel(params, apply)
    fit(model, loss_fn, config, key=key, data=batch)
    ```
    """

    params: PyTree
    apply: Callable[[PyTree, Any], Any] = eqx.field(static=True)

    def __call__(self, x: Any) -> Any:
        return self.apply(self.params, x)


def from_linen(module: Any, params: PyTree) -> PureFunctionModel:
    """Wrap a Flax linen module and its `params` collection (from `module.init`)."""

    def apply(p, x):
        return module.apply({"params": p}, x)

    return PureFunctionModel(params, apply)


def from_nnx(model: Any) -> PureFunctionModel:
    """Wrap a Flax nnx module: its state becomes the trainable PyTree."""
    from flax import nnx

    graphdef, state = nnx.split(model)

    def apply(s, x):
        return nnx.merge(graphdef, s)(x)

    return PureFunctionModel(state, apply)


def linen_mlp(in_size: int, out_size: int, width: int, depth: int, *, key) -> PureFunctionModel:
    """A tanh MLP written in Flax linen, `depth` hidden `Dense(width)` layers and a
    `Dense(out_size)` output, initialised with `key` on points `(in_size,)` and wrapped by
    `from_linen` (the interop path, beside `equinox.nn.MLP`). Needs `flax`."""
    import jax.numpy as jnp
    from flax import linen

    class FlaxMLP(linen.Module):
        @linen.compact
        def __call__(self, x):
            for _ in range(depth):
                x = jnp.tanh(linen.Dense(width)(x))
            return linen.Dense(out_size)(x)

    module = FlaxMLP()
    return from_linen(module, module.init(key, jnp.zeros(in_size))["params"])
