"""One battery for every architecture in `sciml_jax.nn` (issue 15, item 8).

Each entry of `ARCHITECTURES` builds a small model from a key and an example unbatched
input (a tuple of call arguments), and states the documented output shape. Every entry
runs the same battery: the unbatched call has the documented shape; `jax.vmap` over a
batch equals per-sample calls; `jax.jit` equals eager; the gradient of a scalar of the
output with respect to the parameters is finite and nonzero; serialising the leaves and
reloading them into a template built from another key gives identical outputs. Operators
whose weights live on Fourier modes (or on query points) also get a resolution test: a
band-limited input sampled at n and 2n points gives the same output at the shared points.

A new architecture joins with one line in `ARCHITECTURES` (in the style of optax's
`contrib/_common_test.py`).
"""

import dataclasses
import functools
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import pytest
from helpers import tree_allclose, tree_equal_bits

from sciml_jax.nn import (
    FNO,
    MLP,
    Ansatz,
    DeepONet,
    DilatedResNet,
    FourierFeatures,
    PeriodicEmbedding,
    PirateNet,
    PureFunctionModel,
    ResidualEmulator,
    UNet,
    from_linen,
)


@dataclasses.dataclass(frozen=True)
class Arch:
    """One registered architecture.

    - `build`: `build(key) -> model`.
    - `example`: `example(key) -> args`, one unbatched sample as a tuple of call arguments.
    - `output_shape`: the documented shape of `model(*args)`.
    - `resolution`: for operators, `resolution(n) -> args` sampling one band-limited input
      on `n` points per axis; the outputs at `n` and `2n` must agree on the shared points
      to `resolution_tol` (relative L2).
    """

    build: Callable
    example: Callable
    output_shape: tuple[int, ...]
    resolution: Callable | None = None
    resolution_tol: float = 0.0


def _normal(*shape):
    return lambda key: (jr.normal(key, shape),)


def _band_limited(channels: int, d: int):
    """`n -> (a,)`: a fixed trigonometric field of wavenumbers <= 2 on `n**d` points."""

    def sample(n):
        axes = jnp.meshgrid(*[jnp.arange(n) / n] * d, indexing="ij")
        phase = 2 * jnp.pi * sum(axes)
        second = 0.5 * jnp.cos(4 * jnp.pi * axes[0])
        fields = [jnp.sin(phase + c) + second for c in range(channels)]
        return (jnp.stack(fields),)

    return sample


def _fno_1d(key, **kwargs):
    return FNO(1, 1, width=8, modes=6, num_layers=2, projection_width=16, key=key, **kwargs)


def _deeponet_sample(num_sensors, coord_dim):
    def sample(n):
        sensors = jnp.sin(jnp.linspace(0, 2 * jnp.pi, num_sensors))
        y = jnp.stack(jnp.meshgrid(*[jnp.arange(n) / n] * coord_dim, indexing="ij"), -1)
        return sensors, y.reshape(-1, coord_dim)

    return sample


def _linen_model(key):
    from flax import linen

    module = linen.Sequential([linen.Dense(8), linen.tanh, linen.Dense(2)])
    return from_linen(module, module.init(key, jnp.zeros(3))["params"])


def _pure_model(key):
    k1, k2 = jr.split(key)
    params = {"w1": jr.normal(k1, (3, 8)), "w2": jr.normal(k2, (8, 2))}
    return PureFunctionModel(params, lambda p, x: jnp.tanh(x @ p["w1"]) @ p["w2"])


def _periodic_pirate(key):
    embedding = PeriodicEmbedding(2, axes=(0,), periods=(2.0,), num_harmonics=2)
    return PirateNet(2, 3, width=16, num_blocks=2, embedding=embedding, key=key)


def _fourier_mlp(key):
    k1, k2 = jr.split(key)
    features = FourierFeatures(2, 8, 1.0, key=k1)
    return MLP(2, 3, 16, 2, embedding=features, modified=True, factorise=(1.0, 0.1), key=k2)


def _ansatz(key):
    net = MLP(2, "scalar", 16, 2, key=key)
    return Ansatz(net, lambda p, n: p[0] * (1 - p[0]) * n)


# Resolution tolerances (relative L2 between outputs at n and 2n on the shared points,
# measured over seeds 0-4 at n = 32 (1D) / 16 (2D)). GELU of a band-limited field is
# analytic, so its aliasing is negligible: without grid channels the FNO is invariant to
# round-off (<= 1.5e-7 float32, 1e-15 float64), tolerance 1e-6. Two inputs are not
# band-limited and cost O(1/n), halving with each doubling of n (checked to n = 256):
# the appended coordinate x_j = j / n is a periodic sawtooth (<= 7.4e-4, tolerance 2e-3),
# and zero padding puts a jump at the domain end (<= 3.1e-4, tolerance 1e-3). DeepONet
# evaluates query points independently (<= 2e-7). A U-Net differs by O(1) (see
# `test_resolution_test_discriminates`).
ARCHITECTURES: dict[str, Arch] = {
    "mlp": Arch(lambda k: MLP(2, "scalar", 16, 2, key=k), _normal(2), ()),
    "mlp_modified_fourier": Arch(_fourier_mlp, _normal(2), (3,)),
    "ansatz": Arch(_ansatz, _normal(2), ()),
    "pirate_net": Arch(lambda k: PirateNet(2, "scalar", 16, 2, key=k), _normal(2), ()),
    "pirate_net_periodic": Arch(_periodic_pirate, _normal(2), (3,)),
    "fno_1d": Arch(
        lambda k: _fno_1d(k, append_grid=False), _normal(1, 32), (1, 32), _band_limited(1, 1),
        1e-6,
    ),
    "fno_1d_grid": Arch(_fno_1d, _normal(1, 32), (1, 32), _band_limited(1, 1), 2e-3),
    "fno_1d_fft_padded": Arch(
        lambda k: _fno_1d(k, method="fft", padding_fraction=0.25, append_grid=False),
        _normal(1, 32), (1, 32), _band_limited(1, 1), 1e-3,
    ),
    "fno_2d": Arch(
        lambda k: FNO(2, 3, 8, 4, 2, 2, append_grid=False, projection_width=16, key=k),
        _normal(2, 16, 16), (3, 16, 16), _band_limited(2, 2), 1e-6,
    ),
    "deeponet": Arch(
        lambda k: DeepONet(20, 1, 8, branch_width=16, trunk_width=16, key=k),
        lambda k: (jr.normal(k, (20,)), jr.uniform(jr.fold_in(k, 1), (10, 1))), (10,),
        _deeponet_sample(20, 1), 1e-6,
    ),
    "deeponet_stacked": Arch(
        lambda k: DeepONet(20, 2, 4, 2, variant="stacked", activation="tanh", key=k),
        lambda k: (jr.normal(k, (20,)), jr.uniform(jr.fold_in(k, 1), (10, 2))), (10, 2),
        _deeponet_sample(20, 2), 1e-6,
    ),
    "unet_1d": Arch(lambda k: UNet(1, 2, 8, 2, 1, key=k), _normal(1, 32), (2, 32)),
    "unet_2d": Arch(lambda k: UNet(2, 1, 8, 1, 2, key=k), _normal(2, 16, 16), (1, 16, 16)),
    "dilated_resnet_1d": Arch(
        lambda k: DilatedResNet(1, 1, 8, 1, 1, dilations=(1, 2, 1), key=k), _normal(1, 32),
        (1, 32),
    ),
    "residual_emulator_fno": Arch(
        lambda k: ResidualEmulator(
            _fno_1d(k, append_grid=False), scale=0.1, keep_modes=8, zero_mean=True
        ),
        _normal(1, 32), (1, 32), _band_limited(1, 1), 1e-6,
    ),
    "pure_function_model": Arch(_pure_model, _normal(3), (2,)),
    "from_linen": Arch(_linen_model, _normal(3), (2,)),
}  # fmt: skip

NAMES = sorted(ARCHITECTURES)
OPERATORS = sorted(name for name, arch in ARCHITECTURES.items() if arch.resolution)


@functools.cache
def _model(name: str, seed: int = 0):
    """Built once per session: eager initialisation dispatches and compiles op by op,
    seconds for a U-Net, and equinox modules are immutable, so tests can share them."""
    return ARCHITECTURES[name].build(jr.key(seed))


def _input(name: str, seed: int = 0):
    return ARCHITECTURES[name].example(jr.fold_in(jr.key(1000), seed))


def _model_and_input(name):
    return _model(name), _input(name)


# One compiled call per model structure and input shape, shared by every test (eager
# calls dispatch and compile op by op: seconds for a U-Net, so only one test makes them).
_call = eqx.filter_jit(lambda model, *args: model(*args))


def _params(model):
    return jax.tree.leaves(eqx.filter(model, eqx.is_array))


@pytest.mark.parametrize("name", NAMES)
def test_unbatched_call_has_documented_shape_and_jit_equals_eager(name):
    model, args = _model_and_input(name)
    eager = model(*args)
    assert eager.shape == ARCHITECTURES[name].output_shape
    assert eager.dtype == jnp.float32
    assert bool(jnp.all(jnp.isfinite(eager)))
    assert tree_allclose(_call(model, *args), eager, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_vmap_equals_per_sample_calls(name):
    arch, model = ARCHITECTURES[name], _model(name)
    samples = [_input(name, seed) for seed in range(3)]
    batch = jax.tree.map(lambda *leaves: jnp.stack(leaves), *samples)
    batched = eqx.filter_jit(lambda m, *a: jax.vmap(m)(*a))(model, *batch)
    per_sample = jnp.stack([_call(model, *s) for s in samples])
    assert batched.shape == (3, *arch.output_shape)
    assert tree_allclose(batched, per_sample, rtol=1e-5, atol=1e-6)
    assert not tree_allclose(per_sample[0], per_sample[1])  # the samples really differ


@pytest.mark.parametrize("name", NAMES)
def test_grad_wrt_parameters_is_finite_and_nonzero(name, getkey):
    model, args = _model_and_input(name)
    weights = jr.normal(getkey(), ARCHITECTURES[name].output_shape)
    grads = eqx.filter_jit(eqx.filter_grad(lambda m: jnp.sum(weights * m(*args))))(model)
    leaves = _params(grads)
    assert leaves
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in leaves)
    assert float(sum(jnp.sum(g**2) for g in leaves)) > 0


@pytest.mark.parametrize("name", NAMES)
def test_serialise_and_reload_into_fresh_template(name, tmp_path):
    model, args = _model_and_input(name)
    path = tmp_path / f"{name}.eqx"
    eqx.tree_serialise_leaves(path, model)
    template = _model(name, seed=1)
    before = _call(template, *args)
    loaded = eqx.tree_deserialise_leaves(path, template)
    assert tree_equal_bits(_params(loaded), _params(model))
    expected = _call(model, *args)
    assert tree_equal_bits(_call(loaded, *args), expected)
    assert not tree_allclose(before, expected)  # the template really was different


def _shared_points(name, coarse, fine):
    """`fine` at the points of the coarse grid (every other point on each axis)."""
    if name.startswith("deeponet"):  # query points flattened from an (n, ..., n) grid
        d = ARCHITECTURES[name].resolution(1)[1].shape[-1]
        n = round(fine.shape[0] ** (1 / d))
        fine = fine.reshape((n,) * d + fine.shape[1:])[(slice(None, None, 2),) * d]
        return fine.reshape(coarse.shape)
    return fine[(slice(None),) + (slice(None, None, 2),) * (fine.ndim - 1)]


def _resolution_error(name, model, sample):
    n = 16 if "2d" in name else 32
    coarse, fine = _call(model, *sample(n)), _call(model, *sample(2 * n))
    fine = _shared_points(name, coarse, fine)
    return float(jnp.linalg.norm(fine - coarse) / jnp.linalg.norm(coarse))


@pytest.mark.parametrize("name", OPERATORS)
def test_resolution_invariance(name):
    arch = ARCHITECTURES[name]
    error = _resolution_error(name, _model(name), arch.resolution)
    assert error <= arch.resolution_tol, error


def test_resolution_test_discriminates():
    # Negative control: a U-Net's receptive field is counted in grid points, so the same
    # test must fail for it by far more than the operators' tolerances.
    model = _model("unet_1d")
    error = _resolution_error("unet_1d", model, _band_limited(1, 1))
    assert error > 100 * max(a.resolution_tol for a in ARCHITECTURES.values()), error
