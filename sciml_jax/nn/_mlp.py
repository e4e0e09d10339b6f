"""Coordinate networks for PINNs: MLP, modified MLP, random weight factorisation, ansatz."""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ._embeddings import AbstractEmbedding

_ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "sin": jnp.sin,
    "gelu": jax.nn.gelu,
    "swish": jax.nn.swish,
    "softplus": jax.nn.softplus,
}


def activation_from_name(name: str) -> Callable[[Array], Array]:
    """Look up an activation by name (`tanh`, `relu`, `sin`, `gelu`, `swish`, `softplus`)."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(_ACTIVATIONS)}.")
    return _ACTIVATIONS[name]


class Dense(eqx.Module):
    r"""An affine layer $y = Wx + b$, optionally with random weight factorisation.

    With factorisation $W = \mathrm{diag}(e^{s}) V$: the network trains the log-scales
    $s$ and the direction $V$ separately, which speeds up PINN training markedly.
    Initialisation is Glorot-normal; for factorisation, $s \sim N(\mu, \sigma)$ and $V$
    is rescaled so that the initial $W$ is unchanged.

    **Arguments:**

    - `in_size`, `out_size`: dimensions.
    - `factorise`: `None` (plain), or `(mu, sigma)` for the log-scale distribution
      (the paper uses `(1.0, 0.1)`).
    - `key`: a `jax.random` key.

    **Reference:** Wang, Wang, Perdikaris, "Random weight factorization improves the
    training of continuous neural representations" (2022).
    """

    weight: Float[Array, "out_size in_size"]
    bias: Float[Array, " out_size"]
    log_scale: Float[Array, " out_size"] | None

    def __init__(
        self,
        in_size: int,
        out_size: int,
        *,
        factorise: tuple[float, float] | None = None,
        key: PRNGKeyArray,
    ):
        wkey, skey = jax.random.split(key)
        std = jnp.sqrt(2.0 / (in_size + out_size))
        weight = std * jax.random.normal(wkey, (out_size, in_size))
        self.bias = jnp.zeros((out_size,))
        if factorise is None:
            self.weight, self.log_scale = weight, None
        else:
            mu, sigma = factorise
            log_scale = mu + sigma * jax.random.normal(skey, (out_size,))
            self.log_scale = log_scale
            self.weight = weight / jnp.exp(log_scale)[:, None]

    def __call__(self, x: Float[Array, " in_size *batch"]) -> Float[Array, " out_size *batch"]:
        weight = self.weight
        if self.log_scale is not None:
            weight = jnp.exp(self.log_scale)[:, None] * weight
        # Trailing batch axes (points as columns) keep the long axis contiguous: on CPU
        # `W @ X` with X of shape (in, n) is several times faster than vmapped `W @ x`.
        return jnp.tensordot(weight, x, axes=1) + _as_column(self.bias, x.ndim)


def _as_column(vector: Array, ndim: int) -> Array:
    """Reshape `(k,)` to `(k, 1, ..., 1)` so it broadcasts over `ndim - 1` trailing axes."""
    return vector.reshape(vector.shape + (1,) * (ndim - 1))


def inverted_dropout(h: Array, rate: float, key: PRNGKeyArray) -> Array:
    """Zero each entry with probability `rate` and scale the rest by `1 / (1 - rate)`, so
    the expectation over the mask is `h` (Srivastava et al. 2014)."""
    keep = jax.random.bernoulli(key, 1.0 - rate, h.shape)
    return jnp.where(keep, h / (1.0 - rate), jnp.zeros((), h.dtype))


class MLP(eqx.Module):
    r"""A fully connected coordinate network $u_\theta(p)$, optionally embedded and factorised.

    $h_0 = \gamma(p)$ (an embedding, or $p$), $h_{k+1} = \sigma(W_k h_k + b_k)$,
    $u = W_L h_L + b_L$. With `modified=True` it is the *modified MLP* of Wang et al.,
    where two encoders $U=\sigma(W_u h_0)$, $V=\sigma(W_v h_0)$ gate every hidden layer:
    $h_{k+1} = (1 - z_k) \odot U + z_k \odot V$, $z_k = \sigma(W_k h_k + b_k)$.

    **Arguments:**

    - `in_size`: point dimension; `out_size`: number of outputs (`"scalar"` for one
      unbatched scalar output).
    - `width`, `depth`: hidden width and number of hidden layers.
    - `activation`: a name (`tanh`, `sin`, `gelu`, ...).
    - `embedding`: an `AbstractEmbedding` applied to the input first, or `None`.
    - `factorise`: `None` or `(mu, sigma)` for random weight factorisation of every layer.
    - `modified`: use the gated modified-MLP architecture.
    - `dropout`: drop probability after every hidden layer (0: none, the default). It
      acts only when the call gets a key, `net(p, key=k)`: MC dropout at prediction
      (`sciml_jax.uq.mc_dropout_predict`); without a key the network is deterministic.
    - `key`: a `jax.random` key.

    **Returns (when called on one point):** shape `()` if `out_size="scalar"`, else
    `(out_size,)`. A point may carry trailing batch axes, `p` of shape `(in_size, n)`
    (points as columns), giving `(n,)` or `(out_size, n)`: one call then evaluates all
    points feature-major, which is what `residual_loss(..., vectorize=True)` uses.

    **Example:**

    ```python
    net = MLP(2, "scalar", width=20, depth=3, key=jax.random.key(0))
    u = jax.vmap(net)(points)          # points (n, 2) -> (n,)
    ```

    **Reference:** Wang, Teng, Perdikaris, "Understanding and mitigating gradient flow
    pathologies in physics-informed neural networks", SIAM J. Sci. Comput. (2021).
    """

    layers: tuple[Dense, ...]
    gates: tuple[Dense, Dense] | None
    embedding: AbstractEmbedding | None
    activation: Callable[[Array], Array] = eqx.field(static=True)
    scalar_output: bool = eqx.field(static=True)
    dropout: float = eqx.field(static=True, default=0.0)

    def __init__(
        self,
        in_size: int,
        out_size: int | str,
        width: int = 20,
        depth: int = 3,
        activation: str = "tanh",
        *,
        embedding: AbstractEmbedding | None = None,
        factorise: tuple[float, float] | None = None,
        modified: bool = False,
        dropout: float = 0.0,
        key: PRNGKeyArray,
    ):
        if depth < 1 or width < 1:
            raise ValueError(f"MLP needs depth >= 1 and width >= 1, got {depth}, {width}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP dropout={dropout}; expected a probability in [0, 1).")
        self.dropout = float(dropout)
        if out_size == "scalar":
            self.scalar_output, out_size = True, 1
        elif isinstance(out_size, int) and out_size >= 1:
            self.scalar_output = False
        else:
            raise ValueError(f"out_size must be a positive int or 'scalar', got {out_size!r}.")
        if embedding is not None and embedding.in_size != in_size:
            raise ValueError(
                f"the embedding expects points of size {embedding.in_size} but the MLP has "
                f"in_size={in_size}; build both with the same point dimension."
            )
        first = in_size if embedding is None else embedding.out_size
        sizes = [first] + [width] * depth + [out_size]
        keys = jax.random.split(key, len(sizes) + 1)
        self.layers = tuple(
            Dense(a, b, factorise=factorise, key=k)
            for a, b, k in zip(sizes[:-1], sizes[1:], keys[: len(sizes) - 1], strict=True)
        )
        self.gates = (
            (
                Dense(first, width, factorise=factorise, key=keys[-2]),
                Dense(first, width, factorise=factorise, key=keys[-1]),
            )
            if modified
            else None
        )
        self.embedding = embedding
        self.activation = activation_from_name(activation)

    def __call__(self, p: Float[Array, " in_size"], *, key: PRNGKeyArray | None = None) -> Array:
        in_size = self.layers[0].weight.shape[1] if self.embedding is None else None
        in_size = self.embedding.in_size if in_size is None else in_size
        if jnp.ndim(p) < 1 or p.shape[0] != in_size or not jnp.issubdtype(p.dtype, jnp.floating):
            raise ValueError(
                f"MLP got a point of shape {jnp.shape(p)} and dtype {jnp.result_type(p)}; "
                f"expected shape ({in_size},) (optionally with trailing batch axes) and a "
                "real floating dtype; cast with p.astype(jnp.float32)."
            )
        h = p if self.embedding is None else self.embedding(p)
        if self.gates is not None:
            gate_u = self.activation(self.gates[0](h))
            gate_v = self.activation(self.gates[1](h))
        drop = key is not None and self.dropout > 0
        keys = jax.random.split(key, len(self.layers)) if drop else [None] * len(self.layers)
        for layer, layer_key in zip(self.layers[:-1], keys, strict=False):
            h = self.activation(layer(h))
            if self.gates is not None:
                h = (1 - h) * gate_u + h * gate_v
            if drop:
                h = inverted_dropout(h, self.dropout, layer_key)
        out = self.layers[-1](h)
        return out[0] if self.scalar_output else out


class Ansatz(eqx.Module):
    r"""A hard-constraint wrapper $u(p) = g(p, N(p))$ that satisfies conditions exactly.

    `transform(p, n)` combines the point and the raw network output into the solution,
    e.g. `lambda p, n: p[0] * (1 - p[0]) * n` for homogeneous Dirichlet conditions on
    [0, 1], or `lambda p, n: u0(p[0]) + p[-1] * n` for an exact initial condition.

    **Arguments:**

    - `network`: any module of one point.
    - `transform`: a pure function `(p, network(p)) -> u`; it is static (not trained).
    """

    network: eqx.Module
    transform: Callable[[Array, Array], Array] = eqx.field(static=True)

    def __call__(self, p: Float[Array, " dim"]) -> Array:
        return self.transform(p, self.network(p))
