"""Bad input at the Python API fails loudly: wrong shapes, dtypes and grid sizes give a
`ValueError` naming what was given and what was expected before anything is traced, and
non-finite values give an `eqx.error_if` message under jit, never a silent NaN or a raw
XLA/broadcast error. Hypothesis draws the bad inputs (few examples: the models are built
once per test and only the cheap refusals run per example)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sciml_jax.nn import FNO, MLP, DeepONet, UNet
from sciml_jax.sim import DarcySolver, Diffusion, HeatExplicit, KuramotoSivashinsky, rollout

FEW = settings(max_examples=10, deadline=None)
BAD_DTYPES = st.sampled_from([jnp.int32, jnp.bool_, jnp.complex64])


def _models():
    key = jr.key(0)
    return {
        "mlp": MLP(3, 2, width=8, depth=2, key=key),
        "fno": FNO(2, 1, width=4, modes=4, num_layers=1, key=key),
        "unet": UNet(2, 1, hidden_channels=4, num_levels=1, key=key),
        "deeponet": DeepONet(6, 1, latent_dim=4, key=key),
    }


MODELS = _models()
GOOD_INPUT = {
    "mlp": (3,),
    "fno": (2, 16),
    "unet": (2, 16),
}


def _call(name, x):
    if name == "deeponet":
        return MODELS[name](x, jnp.zeros((5, 1)))
    return MODELS[name](x)


@FEW
@given(
    name=st.sampled_from(sorted(GOOD_INPUT)),
    shape=st.lists(st.integers(1, 9), min_size=1, max_size=3).map(tuple),
)
@example(name="fno", shape=(2, 5))  # one point short of the retained modes
@example(name="fno", shape=(2, 1))
def test_models_refuse_wrong_shapes_by_name(name, shape):
    if shape == GOOD_INPUT[name] or (name == "mlp" and shape[0] == 3):
        return  # a valid input (an MLP point may carry trailing batch axes)
    if name == "fno" and len(shape) == 2 and shape[0] == 2 and shape[1] >= 6:
        return  # valid: an rfft of n >= 6 points holds the 4 retained modes
    with pytest.raises(ValueError, match=r"got|expect") as info:
        _call(name, jnp.zeros(shape))
    assert str(shape) in str(info.value) or str(shape)[:-1] in str(info.value)


@FEW
@given(name=st.sampled_from(sorted(MODELS)), dtype=BAD_DTYPES)
def test_models_refuse_integer_bool_and_complex_inputs(name, dtype):
    shape = GOOD_INPUT.get(name, (6,))
    with pytest.raises(ValueError, match="floating") as info:
        _call(name, jnp.zeros(shape, dtype))
    assert jnp.dtype(dtype).name in str(info.value)


def test_deeponet_refuses_integer_query_points():
    with pytest.raises(ValueError, match="query points of dtype int32"):
        MODELS["deeponet"](jnp.zeros(6), jnp.zeros((5, 1), jnp.int32))


@FEW
@given(
    name=st.sampled_from(["fno", "deeponet"]),
    bad=st.sampled_from([jnp.nan, jnp.inf, -jnp.inf]),
    index=st.integers(0, 5),
)
def test_models_refuse_non_finite_inputs_under_jit(name, bad, index):
    shape = GOOD_INPUT.get(name, (6,))
    x = jnp.ones(shape).reshape(-1).at[index].set(bad).reshape(shape)
    with pytest.raises(eqx.EquinoxRuntimeError, match="NaN"):
        eqx.filter_jit(_call)(name, x)


STEPPERS = {
    "diffusion": Diffusion(1, 1.0, 16, 0.01),
    "ks": KuramotoSivashinsky(1, 22.0, 16, 0.05),
    "heat": HeatExplicit(1, 1.0, 16, 1e-4),
}


@FEW
@given(
    name=st.sampled_from(sorted(STEPPERS)),
    shape=st.lists(st.integers(1, 20), min_size=1, max_size=3).map(tuple),
)
def test_steppers_refuse_wrong_state_shapes(name, shape):
    stepper = STEPPERS[name]
    if shape == stepper.state_shape:
        return
    with pytest.raises(ValueError, match=r"\(1, 16\)") as info:
        stepper(jnp.zeros(shape))
    assert str(shape)[:-1] in str(info.value)
    # rollout reaches the same refusal, before any step is traced into a scan
    with pytest.raises(ValueError, match=r"\(1, 16\)"):
        rollout(stepper, jnp.zeros(shape), 3)


@FEW
@given(name=st.sampled_from(sorted(STEPPERS)), dtype=BAD_DTYPES)
def test_steppers_refuse_non_real_states(name, dtype):
    with pytest.raises(ValueError, match="floating") as info:
        STEPPERS[name](jnp.zeros((1, 16), dtype))
    assert jnp.dtype(dtype).name in str(info.value)


@FEW
@given(num_points=st.one_of(st.integers(-5, 1), st.floats(2.5, 9.5)))
def test_steppers_refuse_bad_grid_sizes(num_points):
    with pytest.raises(ValueError, match="num_points"):
        Diffusion(1, 1.0, num_points, 0.01)
    with pytest.raises(ValueError, match="num_points"):
        HeatExplicit(1, 1.0, num_points, 1e-4)


@FEW
@given(dt=st.sampled_from([0.0, -0.1, -1e-8]))
def test_steppers_refuse_non_positive_dt(dt):
    with pytest.raises(ValueError, match="dt"):
        KuramotoSivashinsky(1, 22.0, 16, dt)
    with pytest.raises(ValueError, match="dt"):
        HeatExplicit(1, 1.0, 16, dt)


DARCY = DarcySolver(9)
DARCY_JIT = eqx.filter_jit(DARCY)  # compiled once for the value checks


@FEW
@given(
    shape=st.lists(st.integers(1, 12), min_size=1, max_size=3).map(tuple),
)
def test_darcy_refuses_wrong_shapes(shape):
    if shape == (9, 9):
        return
    with pytest.raises(ValueError, match=r"\(9, 9\)"):
        DARCY(jnp.ones(shape), jnp.ones((9, 9)))


@FEW
@given(which=st.sampled_from(["a", "f"]), dtype=BAD_DTYPES)
def test_darcy_refuses_non_real_fields(which, dtype):
    a, f = jnp.ones((9, 9)), jnp.ones((9, 9))
    bad = jnp.zeros((9, 9), dtype)
    with pytest.raises(ValueError, match=f"{which} of dtype {jnp.dtype(dtype).name}"):
        DARCY(*((bad, f) if which == "a" else (a, bad)))


@settings(max_examples=8, deadline=None)
@given(
    which=st.sampled_from(["a", "f"]),
    bad=st.sampled_from([jnp.nan, jnp.inf, 0.0, -1.0]),
    i=st.integers(0, 8),
    j=st.integers(0, 8),
)
def test_darcy_refuses_non_finite_or_non_positive_values(which, bad, i, j):
    if which == "f" and bad in (0.0, -1.0):
        return  # any finite source is allowed
    a, f = jnp.ones((9, 9)), jnp.ones((9, 9))
    if which == "a":
        a = a.at[i, j].set(bad)
    else:
        f = f.at[i, j].set(bad)
    message = "positive" if which == "a" else "f contains NaN"
    with pytest.raises(eqx.EquinoxRuntimeError, match=message):
        jax.block_until_ready(DARCY_JIT(a, f))
