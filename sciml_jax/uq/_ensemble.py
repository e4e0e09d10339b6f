"""Deep ensembles as one stacked PyTree, trained in one vmapped run by the ordinary `fit`.

The members of an `Ensemble` are one module whose array leaves carry a leading member
axis (built with `eqx.filter_vmap` over keys). `ensemble_loss` turns a per-member loss
into a loss of the whole ensemble that returns one named term per member,
`member_0 ... member_{M-1}`, whose sum `fit` minimises. Because the members share no
parameter, the gradient of the sum with respect to member `i` is exactly the gradient of
member `i`'s own loss, and element-wise optimizers (Adam, SGD, SGLD) keep the members
independent: one run trains `M` separate networks with `M`-wide batched kernels instead
of `M` small ones. Everything `fit` does applies unchanged: checkpoints hold the stacked
parameters, resume is bit-identical, and the NaN guard reports the first bad term, that
is the member that failed (`loss term 'member_3' became nan at step ...`); the
divergence guard names the member with the largest loss.

Two engine settings couple members and are refused or flagged in the docs:
`optimizer.clip_norm` clips the *global* norm over all members (one member's large
gradient shrinks the others' steps) and L-BFGS's line search picks one step length for
all. Use a per-member loss scale instead of clipping, and Adam/SGD for ensembles.

Sharding hook (issue 20): the member axis is the leading axis of every array leaf of
`Ensemble.members`, so placing the members over devices is a `NamedSharding` with
`PartitionSpec("members")` on those leaves; nothing here assumes one device.

Reference: Lakshminarayanan, Pritzel, Blundell, "Simple and scalable predictive
uncertainty estimation using deep ensembles", NeurIPS 2017.
"""

from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from jaxtyping import Array, Float, PyTree

from .._types import Key


class Ensemble(eqx.Module):
    """`M` models of one architecture, stacked on the leading axis of every array leaf.

    **Arguments:**

    - `members`: a module whose array leaves have a leading axis of length `M`
      (what `eqx.filter_vmap(build)(keys)` returns). Build it with `Ensemble.build`.

    **Call:** `ensemble(x, *, key=None)` evaluates every member on the same unbatched
    input and stacks the outputs on a leading member axis (a `(mean, variance)` tuple of a
    heteroscedastic member becomes a tuple of stacked arrays).

    **Example:**

    ```python
    ensemble = Ensemble.build(lambda k: MLP(1, "scalar", 32, 2, key=k), jr.key(0), 8)
    y = ensemble(jnp.array([0.5]))      # shape (8,)
    ```
    """

    members: Any
    # `fit` on several devices splits the members across them (`distributed.place_state`).
    shard_leading_axis: ClassVar[bool] = True

    @classmethod
    def build(cls, make_member: Callable[[Key], Any], key: Key, size: int) -> "Ensemble":
        """`size` members `make_member(k)` for `k` in `jr.split(key, size)`, stacked."""
        if size < 1:
            raise ValueError(f"an ensemble needs size >= 1 members, got {size}")
        return cls(eqx.filter_vmap(make_member)(jr.split(key, size)))

    @property
    def size(self) -> int:
        return jax.tree.leaves(eqx.filter(self.members, eqx.is_array))[0].shape[0]

    def member(self, index: int) -> Any:
        """Member `index` as an ordinary (unstacked) model."""
        arrays, static = eqx.partition(self.members, eqx.is_array)
        return eqx.combine(jax.tree.map(lambda leaf: leaf[index], arrays), static)

    def __call__(self, x: PyTree, *, key: Key | None = None) -> PyTree:
        if key is None:
            return eqx.filter_vmap(lambda m: m(x))(self.members)
        keys = jr.split(key, self.size)
        return eqx.filter_vmap(lambda m, k: m(x, key=k))(self.members, keys)


def ensemble_loss(loss_fn: Callable[[Any, PyTree, Key], Any]) -> Callable:
    """The loss of an `Ensemble` as one named term per member, for `fit` or `train_pure`.

    $$ L(\\theta_1..\\theta_M) = \\sum_{i=1}^{M} L_i(\\theta_i), \\qquad
       \\nabla_{\\theta_i} L = \\nabla_{\\theta_i} L_i $$

    **Arguments:**

    - `loss_fn`: `loss_fn(model, batch, key)` of one member, returning a scalar or a dict
      of named scalar terms (the terms of one member are summed).

    **Returns:** `loss(ensemble, batch, key) -> {"member_0": ..., "member_{M-1}": ...}`;
    each member gets its own key (`jr.split(key, M)`: independent dropout or noise) and
    the same batch. A batch whose leaves should differ per member (bootstrap resamples)
    goes in as `{"per_member": ...}` with a leading member axis on every leaf.

    **Example:**

    ```python
    loss = ensemble_loss(lambda m, b, k: jnp.mean((jax.vmap(m)(b["x"]) - b["y"]) ** 2))
    result = fit(ensemble, loss, TrainConfig(steps=2000), key=jr.key(1), data=batch)
    ```
    """

    def member_total(model, batch, key):
        out = loss_fn(model, batch, key)
        if isinstance(out, dict):
            return sum(out.values())
        return out

    def loss(ensemble: Ensemble, batch: PyTree, key: Key) -> dict[str, Float[Array, ""]]:
        keys = jr.split(key, ensemble.size)
        if isinstance(batch, dict) and set(batch) == {"per_member"}:
            values = eqx.filter_vmap(member_total)(ensemble.members, batch["per_member"], keys)
        else:
            values = eqx.filter_vmap(member_total, in_axes=(eqx.if_array(0), None, 0))(
                ensemble.members, batch, keys
            )
        return {f"member_{i}": values[i] for i in range(values.shape[0])}

    return loss


class MixturePrediction(eqx.Module):
    """Predictive moments of an equally weighted mixture (ensemble, MC dropout, SGLD).

    - `mean`: $\\bar\\mu = \\frac1M \\sum_i \\mu_i$.
    - `epistemic`: $\\frac1M \\sum_i (\\mu_i - \\bar\\mu)^2$ (the spread of the members).
    - `aleatoric`: $\\frac1M \\sum_i \\sigma_i^2$ for heteroscedastic members, else `None`.
    - `variance`: the total, `epistemic + aleatoric` (law of total variance).
    """

    mean: Array
    epistemic: Array
    aleatoric: Array | None
    variance: Array

    @property
    def std(self) -> Array:
        return jnp.sqrt(self.variance)


def mixture_moments(outputs: Array | tuple[Array, Array]) -> MixturePrediction:
    """Law of total variance over the leading (member or sample) axis.

    $$ \\operatorname{Var}[y] = \\underbrace{\\mathbb E_i[\\sigma_i^2]}_{\\text{aleatoric}}
       + \\underbrace{\\operatorname{Var}_i[\\mu_i]}_{\\text{epistemic}} $$

    **Arguments:** `outputs`, stacked member outputs `(M, ...)`, or a `(means, variances)`
    tuple of two such arrays for heteroscedastic members.

    **Returns:** a `MixturePrediction` (the variance of the mixture, `ddof=0`: the
    members are the mixture's components, not a sample of them).
    """
    if isinstance(outputs, tuple):
        means, variances = outputs
        aleatoric = jnp.mean(variances, axis=0)
    else:
        means, aleatoric = outputs, None
    mean = jnp.mean(means, axis=0)
    epistemic = jnp.mean((means - mean) ** 2, axis=0)
    total = epistemic if aleatoric is None else epistemic + aleatoric
    return MixturePrediction(mean, epistemic, aleatoric, total)


def ensemble_predict(ensemble: Ensemble, x: Array, *, batched: bool = True) -> MixturePrediction:
    """Mean, epistemic and (heteroscedastic members) aleatoric variance at the points `x`.

    **Arguments:** `ensemble`; `x` a batch of inputs `(n, ...)` (`batched=False` for one
    unbatched input).

    **Returns:** a `MixturePrediction` with arrays shaped like one member's output on `x`.
    """

    def on_all(m):
        return jax.vmap(m)(x) if batched else m(x)

    return mixture_moments(eqx.filter_vmap(on_all)(ensemble.members))
