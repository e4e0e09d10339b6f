"""PirateNet: a residual-gated coordinate network that starts as a linear model."""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ._embeddings import AbstractEmbedding, FourierFeatures
from ._mlp import Dense, activation_from_name


class PirateBlock(eqx.Module):
    r"""One adaptive residual block of a PirateNet, gated by the encoders $U$, $V$.

    $$f = \sigma(W_1 x + b_1),\quad z_1 = (1 - f) \odot U + f \odot V,$$
    $$g = \sigma(W_2 z_1 + b_2),\quad z_2 = (1 - g) \odot U + g \odot V,$$
    $$h = \sigma(W_3 z_2 + b_3),\qquad x' = \alpha\, h + (1 - \alpha)\, x.$$

    The gate convention $(1 - z) U + z V$ is the one of the modified `MLP`. The skip
    weight $\alpha$ is a trained scalar initialised to 0, so a fresh block is the
    identity and the depth of the network is switched on gradually by training.

    **Arguments:**

    - `width`: the size of `x`, `U` and `V`.
    - `factorise`: `None` or `(mu, sigma)` for random weight factorisation (see `Dense`).
    - `key`: a `jax.random` key.
    """

    layers: tuple[Dense, Dense, Dense]
    alpha: Float[Array, ""]

    def __init__(
        self, width: int, *, factorise: tuple[float, float] | None = None, key: PRNGKeyArray
    ):
        keys = jax.random.split(key, 3)
        self.layers = tuple(Dense(width, width, factorise=factorise, key=k) for k in keys)
        self.alpha = jnp.zeros(())

    def __call__(
        self,
        x: Float[Array, " width"],
        gate_u: Float[Array, " width"],
        gate_v: Float[Array, " width"],
        activation: Callable[[Array], Array],
    ) -> Float[Array, " width"]:
        first, second, third = self.layers
        f = activation(first(x))
        z = (1 - f) * gate_u + f * gate_v
        g = activation(second(z))
        z = (1 - g) * gate_u + g * gate_v
        h = activation(third(z))
        return self.alpha * h + (1 - self.alpha) * x


class PirateNet(eqx.Module):
    r"""A physics-informed residual adaptive network (PirateNet) of one point.

    The point is embedded, $\Phi = \gamma(p)$ (random Fourier features $[\cos Bq,
    \sin Bq]$ of $q = p$ or of a given embedding $q = e(p)$), two encoders gate every
    block, $U = \sigma(W_u \Phi + b_u)$, $V = \sigma(W_v \Phi + b_v)$, then

    $$x^{(0)} = \Phi,\qquad x^{(l+1)} = \mathrm{Block}_l(x^{(l)}; U, V),\qquad
      u = W_{\mathrm{out}} x^{(L)} + b_{\mathrm{out}},$$

    with each block $x' = \alpha_l h_l(x) + (1 - \alpha_l) x$ (see `PirateBlock`). All
    $\alpha_l$ start at 0, so at initialisation $u = W_{\mathrm{out}}\Phi(p) +
    b_{\mathrm{out}}$ exactly: a linear model of the embedding, which is easy to fit,
    and the deep nonlinear part enters only as far as training raises the $\alpha_l$.
    This is what lets PirateNets use many layers where a plain PINN MLP degrades.

    **Arguments:**

    - `in_size`: point dimension; `out_size`: number of outputs (`"scalar"` for one
      unbatched scalar output).
    - `width`: the hidden size, which is also the size of $\Phi$.
    - `num_blocks`: number of residual blocks (each has three dense layers). They are
      stored stacked: `net.blocks.alpha` has shape `(num_blocks,)`.
    - `activation`: a name (`tanh`, `sin`, `gelu`, ...).
    - `embedding`: an `AbstractEmbedding` applied first (e.g. `PeriodicEmbedding` for
      exact periodicity), or `None` for the raw point.
    - `fourier_sigma`: scale of the random Fourier features laid on the (embedded)
      point, which then have `width // 2` frequencies (`width` must be even); `None` to
      use `embedding` as $\Phi$ directly (its `out_size` must then equal `width`).
    - `factorise`: `None` or `(mu, sigma)` for random weight factorisation of every
      dense layer (the paper uses `(1.0, 0.1)`).
    - `key`: a `jax.random` key.

    **Returns (when called on one point):** shape `()` if `out_size="scalar"`, else
    `(out_size,)`.

    **Example:**

    ```python
    net = PirateNet(2, "scalar", width=64, num_blocks=2, fourier_sigma=1.0, key=key)
    u = jax.vmap(net)(points)          # points (n, 2) -> (n,)
    ```

    **Reference:** Wang, Li, Chen, Perdikaris, "PirateNets: Physics-informed deep
    learning with residual adaptive networks", JMLR 25 (2024).
    """

    embedding: AbstractEmbedding | None
    features: FourierFeatures | None
    gates: tuple[Dense, Dense]
    blocks: PirateBlock
    output: Dense
    activation: Callable[[Array], Array] = eqx.field(static=True)
    scalar_output: bool = eqx.field(static=True)

    def __init__(
        self,
        in_size: int,
        out_size: int | str,
        width: int = 64,
        num_blocks: int = 3,
        activation: str = "tanh",
        *,
        embedding: AbstractEmbedding | None = None,
        fourier_sigma: float | None = 1.0,
        factorise: tuple[float, float] | None = None,
        key: PRNGKeyArray,
    ):
        if num_blocks < 1 or width < 1:
            raise ValueError(
                f"PirateNet needs num_blocks >= 1 and width >= 1, got num_blocks={num_blocks}, "
                f"width={width}."
            )
        if out_size == "scalar":
            self.scalar_output, out_size = True, 1
        elif isinstance(out_size, int) and out_size >= 1:
            self.scalar_output = False
        else:
            raise ValueError(f"out_size must be a positive int or 'scalar', got {out_size!r}.")
        if embedding is not None and embedding.in_size != in_size:
            raise ValueError(
                f"the embedding expects points of size {embedding.in_size} but the PirateNet "
                f"has in_size={in_size}; build both with the same point dimension."
            )
        embedded = in_size if embedding is None else embedding.out_size
        fkey, ukey, vkey, okey, bkey = jax.random.split(key, 5)
        if fourier_sigma is not None:
            if width % 2:
                raise ValueError(
                    f"PirateNet with Fourier features needs an even width (cos and sin of "
                    f"width // 2 frequencies), got width={width}; use {width + 1}."
                )
            self.features = FourierFeatures(embedded, width // 2, fourier_sigma, key=fkey)
        elif embedded != width:
            # The skip connections add Phi to block outputs, so their sizes must agree.
            raise ValueError(
                f"with fourier_sigma=None the embedding is Phi and must have out_size == "
                f"width, got {embedded} and width={width}; set width={embedded} or give "
                "fourier_sigma (e.g. 1.0)."
            )
        else:
            self.features = None
        self.embedding = embedding
        self.gates = (
            Dense(width, width, factorise=factorise, key=ukey),
            Dense(width, width, factorise=factorise, key=vkey),
        )
        # The blocks are stacked along a leading axis and run by `lax.scan`, so tracing
        # and compiling the network cost one block whatever the depth. (Built in a loop
        # and stacked: eagerly vmapping the random initialisers compiles far more.)
        blocks = [
            PirateBlock(width, factorise=factorise, key=k)
            for k in jax.random.split(bkey, num_blocks)
        ]
        self.blocks = jax.tree.map(lambda *leaves: jnp.stack(leaves), *blocks)
        self.output = Dense(width, out_size, factorise=factorise, key=okey)
        self.activation = activation_from_name(activation)

    def embed(self, p: Float[Array, " in_size"]) -> Float[Array, " width"]:
        r"""The features $\Phi(p)$ that the network is linear in at initialisation."""
        phi = p if self.embedding is None else self.embedding(p)
        return phi if self.features is None else self.features(phi)

    def __call__(self, p: Float[Array, " in_size"]) -> Array:
        phi = self.embed(p)
        gate_u = self.activation(self.gates[0](phi))
        gate_v = self.activation(self.gates[1](phi))
        params, static = eqx.partition(self.blocks, eqx.is_array)

        def step(x, block_params):
            block = eqx.combine(block_params, static)
            return block(x, gate_u, gate_v, self.activation), None

        x, _ = jax.lax.scan(step, phi, params)
        out = self.output(x)
        return out[0] if self.scalar_output else out
