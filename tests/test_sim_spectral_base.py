"""`AbstractSpectralStepper`'s shared checks and helpers, through concrete steppers."""

import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.ops import make_grid
from sciml_jax.sim import BurgersStepper, Diffusion


def test_a_bare_or_batched_field_is_refused_naming_both_shapes():
    stepper = BurgersStepper(1, 2.0, 32, 0.01)
    with pytest.raises(ValueError, match=r"shape \(1, 32\) \(channels first\), got \(32,\)"):
        stepper(jnp.zeros(32))
    with pytest.raises(ValueError, match=r"got \(4, 1, 32\)"):
        stepper(jnp.zeros((4, 1, 32)))


def test_an_integer_state_is_refused_naming_its_dtype():
    stepper = BurgersStepper(1, 2.0, 32, 0.01)
    with pytest.raises(ValueError, match="dtype int32; expected a real floating dtype"):
        stepper(jnp.zeros((1, 32), jnp.int32))


def test_wavenumber_norm_and_transforms_of_a_2d_stepper(x64):
    length, n = 2 * np.pi, 8
    stepper = Diffusion(2, length, n, 0.1)
    k = np.fft.fftfreq(n, 1 / n)
    k_last = np.fft.rfftfreq(n, 1 / n)
    np.testing.assert_allclose(
        stepper.wavenumber_norm_squared()[0], k[:, None] ** 2 + k_last[None, :] ** 2
    )
    x, y = make_grid(2, length, n)
    u = jnp.stack([jnp.sin(x) * jnp.cos(2 * y)])
    np.testing.assert_allclose(stepper.to_physical(stepper.to_fourier(u)), u, atol=1e-14)
    assert stepper.state_shape == (1, n, n)
