"""E(3)-equivariant diffusion for point clouds of identical particles (EDM-style).

Following Hoogeboom et al. (2022), positions live in the zero-centre-of-mass subspace
``{x in R^{N x d}: sum_i x_i = 0}``: a translation-invariant density exists there, and an
isotropic Gaussian restricted to it is rotation invariant. We work in orthonormal
coordinates of that subspace, ``z = H x`` with the Helmert matrix ``H`` ((N-1) x N,
orthonormal rows orthogonal to the ones vector), so ``x = H^T z`` has zero centre of mass
for every ``z`` and a standard normal ``z`` is the subspace's standard normal. In these
coordinates the problem is ordinary diffusion on an ``(N-1, d)`` array, and the VP SDE,
its epsilon-prediction loss and both samplers of `_diffusion` apply unchanged: projecting
the noise to zero CoM is ``H``'s job.

The noise network is an `EGNN` (rotation, reflection and permutation equivariant,
translation invariant) whose displacement output, minus its mean, predicts ``eps``; the
score is then equivariant and the sampled density E(3) and permutation invariant.

**References:** Hoogeboom, Satorras, Vignac & Welling, "Equivariant diffusion for molecule
generation in 3D", ICML 2022; Satorras, Hoogeboom & Welling, ICML 2021.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from .._types import Array, Float, Key
from ..nn import EGNN
from ._diffusion import VPSDE, denoising_score_matching, sample_probability_flow, sample_reverse_sde

__all__ = [
    "EquivariantNoise",
    "center_of_mass_free",
    "equivariance_error",
    "from_zero_com",
    "random_orthogonal",
    "sample_zero_com",
    "to_zero_com",
    "zero_com_dsm_loss",
]


def helmert(n: int, dtype=None) -> Float[Array, "n-1 n"]:
    """Orthonormal rows spanning the sum-zero subspace of R^n: row k (k = 1..n-1) is
    ``(1, ..., 1, -k, 0, ..., 0) / sqrt(k (k + 1))`` with k ones (built in float64)."""
    k = np.arange(1, n)[:, None]
    j = np.arange(n)[None, :]
    rows = np.where(j < k, 1.0, np.where(j == k, -k, 0.0)) / np.sqrt(k * (k + 1.0))
    return jnp.asarray(rows, jnp.zeros(()).dtype if dtype is None else dtype)


def to_zero_com(x: Float[Array, "n d"]) -> Float[Array, "n-1 d"]:
    """Subspace coordinates ``z = H x`` (the CoM component is dropped)."""
    return helmert(x.shape[0], x.dtype) @ x


def from_zero_com(z: Float[Array, "n-1 d"]) -> Float[Array, "n d"]:
    """Positions ``x = H^T z``, centre of mass zero up to rounding."""
    return helmert(z.shape[0] + 1, z.dtype).T @ z


def center_of_mass_free(eps_model):
    """`eps_model(x, t)` on positions ``(N, d)`` -> the same model on subspace coordinates
    ``(N-1, d)``: ``z -> H eps(H^T z, t)``, the noise's projection to zero CoM."""

    def eps_z(z, t):
        return to_zero_com(eps_model(from_zero_com(z), t))

    return eps_z


class EquivariantNoise(eqx.Module):
    """The EDM noise network ``eps_theta(x, t)``: an `EGNN` over identical particles whose
    only input feature is the noise level, its displacement re-centred to zero CoM.

    Every particle gets the features ``[t, log(sigma(t)) / 4]``; the log noise level
    resolves the small times where ``sigma`` changes fastest.

    **Arguments:** `egnn` (with `in_features=2`), `sde` (the schedule it is trained on).

    **Returns:** `__call__(x (N, d), t) -> eps (N, d)`, zero mean over particles.
    """

    egnn: EGNN
    sde: VPSDE

    def __call__(self, x: Float[Array, "n d"], t) -> Float[Array, "n d"]:
        t = jnp.asarray(t, x.dtype)
        features = jnp.stack([t, 0.25 * jnp.log(self.sde.sigma(t))])
        displacement, _ = self.egnn(x, jnp.broadcast_to(features, (x.shape[0], 2)))
        return displacement - jnp.mean(displacement, axis=0)


def zero_com_dsm_loss(sde: VPSDE, *, t_min: float = 1e-3, field: str = "positions"):
    """`loss_fn(model, batch, key)` for `sciml_jax.train.fit`: epsilon-prediction denoising
    score matching in the zero-CoM subspace (EDM's loss, simple weighting),

    $$ L = \\mathbb E_{t,x_0,\\epsilon}\\ \\tfrac{1}{(N-1)d}\\,
       \\|H\\epsilon_\\theta(\\alpha_t x_0 + \\sigma_t H^T\\epsilon, t) - \\epsilon\\|^2,
       \\quad \\epsilon \\sim N(0, I_{(N-1)d}), $$

    on `batch[field]`, clean positions ``(batch, N, d)`` (centred or not: ``H`` drops the
    CoM).
    """
    if not 0 < t_min < 1:
        raise ValueError(f"t_min={t_min}; expected 0 < t_min < 1, e.g. 1e-3.")

    def loss_fn(model, batch, key):
        x0 = batch[field]
        if x0.ndim != 3:
            raise ValueError(
                f"batch[{field!r}] has shape {x0.shape}; expected (batch, N, d) positions."
            )
        z0 = jax.vmap(to_zero_com)(x0)
        return denoising_score_matching(
            center_of_mass_free(model), z0, sde=sde, t_min=t_min, key=key
        )

    return loss_fn


@eqx.filter_jit
def sample_zero_com(
    eps_model,
    sde: VPSDE,
    num_particles: int,
    num_samples: int,
    *,
    key: Key,
    dim: int = 3,
    method: str = "sde",
    **sampler_kwargs,
) -> Float[Array, "num_samples n d"]:
    """Zero-CoM point clouds from the reverse SDE (``method="sde"``, `sample_reverse_sde`)
    or the probability-flow ODE (``"ode"``, `sample_probability_flow`), run in subspace
    coordinates: the initial noise and every Brownian increment are ``H^T``-projected
    normals, so the centre of mass stays zero (to rounding) whatever `eps_model` returns.

    **Arguments:** `eps_model(x, t)` on positions ``(N, d)``, the `sde`, `num_particles`
    ``N``, `num_samples`, `key`, `dim` ``d``, `method`, and the chosen sampler's keywords
    (`num_steps`, `t_min`, `rtol`, ...). The whole sampler is one compiled function (the
    Python numbers are static: a new `num_steps` compiles again).

    **Returns:** positions ``(num_samples, N, d)``.
    """
    samplers = {"sde": sample_reverse_sde, "ode": sample_probability_flow}
    if method not in samplers:
        raise ValueError(f"method={method!r}; expected 'sde' (reverse SDE) or 'ode'.")
    if num_particles < 2:
        raise ValueError(f"num_particles={num_particles}; expected >= 2 (one has no shape).")
    z = samplers[method](
        center_of_mass_free(eps_model),
        sde,
        (num_particles - 1, dim),
        num_samples,
        key=key,
        **sampler_kwargs,
    )
    return jax.vmap(from_zero_com)(z)


def random_orthogonal(key: Key, dim: int = 3, dtype=None) -> Float[Array, "d d"]:
    """A Haar-random orthogonal matrix: rotations and reflections, det = -1 half the time.

    In 3D the rotation comes from a uniform unit quaternion (a normalised Gaussian in R^4)
    and the reflection from a sign flip, which compiles far faster than a QR; other
    dimensions use the QR of a Gaussian with R's diagonal made positive.
    """
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    q_key, s_key = jr.split(key)
    if dim != 3:
        q, r = jnp.linalg.qr(jr.normal(q_key, (dim, dim), dtype))
        return q * jnp.sign(jnp.diag(r))[None, :]
    quaternion = jr.normal(q_key, (4,), dtype)
    w, x, y, z = quaternion / jnp.linalg.norm(quaternion)
    rotation = jnp.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )
    return jnp.where(jr.bernoulli(s_key), -1.0, 1.0).astype(dtype) * rotation


@eqx.filter_jit
def equivariance_error(
    eps_model,
    x: Float[Array, "n d"],
    t,
    *,
    key: Key,
    num_transforms: int = 64,
    translation_scale: float = 1.0,
) -> Float[Array, ""]:
    """The largest relative violation of E(3) x S_N equivariance over random transforms,

    $$ \\max_g \\frac{\\|\\epsilon(P x Q^T + 1 b^T, t) - P\\,\\epsilon(x, t)\\,Q^T\\|}
       {\\|\\epsilon(x, t)\\|} $$

    with ``Q`` Haar-random in O(d) (reflections included), ``P`` a random permutation and
    ``b`` a random translation of scale `translation_scale` (the noise is a displacement:
    invariant to translations). Frobenius norms over all particles. Compiled once per
    model and shapes (pass `t` as an array to reuse it across times).
    """
    n, d = x.shape
    reference = eps_model(x, t)

    def violation(k):
        qk, pk, bk = jr.split(k, 3)
        q = random_orthogonal(qk, d, x.dtype)
        perm = jr.permutation(pk, n)
        b = translation_scale * jr.normal(bk, (d,), x.dtype)
        moved = eps_model(x[perm] @ q.T + b, t)
        return jnp.linalg.norm(moved - reference[perm] @ q.T)

    worst = jnp.max(jax.vmap(violation)(jr.split(key, num_transforms)))
    return worst / jnp.linalg.norm(reference)
