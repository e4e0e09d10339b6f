"""FNO and its spectral convolution: exact action on Fourier modes, resolution invariance,
shift equivariance, truncation, and refusal of grids that cannot resolve the modes."""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.nn import FNO, DilatedResNet, PointwiseLinear, SpectralConv, UNet


def _bandlimited_1d(key, channels, n, kmax):
    """Samples of sum_k a_k cos(2 pi k x) + b_k sin(2 pi k x), k < kmax, at x_j = j/n."""
    ka, kb = jr.split(key)
    a = jr.normal(ka, (channels, kmax))
    b = jr.normal(kb, (channels, kmax)).at[:, 0].set(0.0)
    x = jnp.arange(n) / n
    k = jnp.arange(kmax)
    phase = 2 * jnp.pi * k[:, None] * x[None, :]
    return a @ jnp.cos(phase) + b @ jnp.sin(phase), (a, b)


def test_spectral_conv_1d_matches_analytic_multiplier():
    # v = sum_k a_k cos(2 pi k x) + b_k sin(2 pi k x) = Re sum_k c_k e^{2 pi i k x} with
    # c_k = a_k - i b_k; the operator multiplies c_k by R_k, so
    # (K v)_o = sum_k Re[(R_k c_k)_o e^{2 pi i k x}]  (b_0 = 0 makes c_0 real)
    conv = SpectralConv(2, 3, modes=6, num_spatial_dims=1, key=jr.key(0))
    n = 64
    v, (a, b) = _bandlimited_1d(jr.key(1), 2, n, 6)
    R = np.asarray(conv.weight[..., 0]) + 1j * np.asarray(conv.weight[..., 1])
    x = np.arange(n) / n
    expected = np.zeros((3, n))
    for k in range(6):
        c = np.asarray(a[:, k]) - 1j * np.asarray(b[:, k])
        expected += ((R[:, :, k] @ c)[:, None] * np.exp(2j * np.pi * k * x)[None, :]).real
    np.testing.assert_allclose(np.asarray(conv(v)), expected, rtol=1e-4, atol=1e-4)


def test_spectral_conv_1d_resolution_invariant():
    conv = SpectralConv(2, 2, modes=8, num_spatial_dims=1, key=jr.key(2))
    key = jr.key(3)
    coarse, _ = _bandlimited_1d(key, 2, 32, 10)
    fine, _ = _bandlimited_1d(key, 2, 128, 10)
    out_coarse = conv(coarse)
    rel = jnp.linalg.norm(conv(fine)[:, ::4] - out_coarse) / jnp.linalg.norm(out_coarse)
    assert rel < 1e-5


def test_spectral_conv_2d_resolution_invariant_and_truncates():
    conv = SpectralConv(1, 2, modes=(5, 4), num_spatial_dims=2, key=jr.key(4))
    kx, ky = 3, -2  # a retained mode (|kx| < 5, |ky| < 4), negative frequency on axis 0 side

    def field(n, kx, ky):
        x = jnp.arange(n) / n
        X, Y = jnp.meshgrid(x, x, indexing="ij")
        return jnp.cos(2 * jnp.pi * (kx * X + ky * Y))[None]

    conv = eqx.filter_jit(conv)
    out16 = conv(field(16, kx, ky))
    out64 = conv(field(64, kx, ky))
    np.testing.assert_allclose(out64[:, ::4, ::4], out16, atol=1e-5)
    assert float(jnp.abs(out16).max()) > 1e-3  # a retained mode passes
    # modes beyond the truncation (|kx| = 5 on axis 0, ky = 4 on the rfft axis) are removed
    assert float(jnp.abs(conv(field(16, 5, 1))).max()) < 1e-5
    assert float(jnp.abs(conv(field(16, 1, 4))).max()) < 1e-5


def test_fno_periodic_shift_equivariance():
    fno = FNO(
        2,
        1,
        width=12,
        modes=(6, 5),
        num_layers=3,
        num_spatial_dims=2,
        append_grid=False,
        key=jr.key(5),
    )
    a = jr.normal(jr.key(6), (2, 24, 20))
    shift = (7, -3)
    apply = eqx.filter_jit(fno)
    out_of_shifted = apply(jnp.roll(a, shift, axis=(1, 2)))
    shifted_out = jnp.roll(apply(a), shift, axis=(1, 2))
    np.testing.assert_allclose(out_of_shifted, shifted_out, atol=2e-5)


def test_fno_zero_shot_resolution_on_bandlimited_input():
    # Without grid channels the lifted field stays band-limited through the spectral paths;
    # GELU creates harmonics, so the check is approximate but far tighter than a U-Net's.
    fno = FNO(1, 1, width=8, modes=6, num_layers=2, append_grid=False, key=jr.key(7))
    key = jr.key(8)
    coarse, _ = _bandlimited_1d(key, 1, 128, 4)
    fine, _ = _bandlimited_1d(key, 1, 512, 4)
    apply = eqx.filter_jit(fno)
    out_coarse = apply(coarse)
    rel = jnp.linalg.norm(apply(fine)[:, ::4] - out_coarse) / jnp.linalg.norm(out_coarse)
    assert rel < 1e-3


@pytest.mark.parametrize("num_spatial_dims,grid", [(1, (20,)), (3, (8, 8, 6))])
def test_fno_padding_equals_unpadded_fno_on_zero_padded_input(num_spatial_dims, grid):
    # With a bias-free lift and no grid channels the lift maps zero to zero, so padding the
    # lifted field equals padding the input: the padded FNO on `a` must equal the same
    # weights without padding applied to `a` zero-padded at the end of every axis
    # (ceil(0.25 n) points), cropped back to the first n points (the projection is
    # pointwise). Cropping the other end, or not padding, gives a different field.
    def make(padding_fraction):  # the same key gives the same weights
        fno = FNO(
            2,
            2,
            width=6,
            modes=3,
            num_layers=2,
            num_spatial_dims=num_spatial_dims,
            append_grid=False,
            padding_fraction=padding_fraction,
            key=jr.key(9),
        )
        return eqx.tree_at(lambda m: m.lift.bias, fno, jnp.zeros_like(fno.lift.bias))

    padded, unpadded = make(0.25), make(0.0)
    a = jr.normal(jr.key(10), (2, *grid))
    pads = [(0, 0)] + [(0, -(-n // 4)) for n in grid]
    reference = unpadded(jnp.pad(a, pads))[(slice(None), *(slice(0, n) for n in grid))]
    out = eqx.filter_jit(lambda m, x: jax.vmap(m)(x))(padded, a[None])[0]
    assert out.shape == (2, *grid)
    np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-5)
    # the padding changes the operator on non-periodic data (else the check is vacuous)
    assert float(jnp.abs(out - unpadded(a)).max()) > 1e-3


def test_fno_rejects_bad_input():
    with pytest.raises(ValueError, match="modes"):
        FNO(1, 1, modes=(4, 4), num_spatial_dims=1, key=jr.key(0))
    fno = FNO(1, 1, width=4, modes=16, num_layers=1, key=jr.key(0))
    with pytest.raises(ValueError, match="cannot resolve"):
        fno(jnp.ones((1, 16)))
    with pytest.raises(ValueError, match="unbatched"):
        fno(jnp.ones((3, 1, 64)))
    with pytest.raises(ValueError, match="padding_fraction"):
        FNO(1, 1, padding_fraction=1.5, key=jr.key(0))


def test_fno_gradients_reach_spectral_weights():
    fno = FNO(1, 1, width=4, modes=4, num_layers=2, key=jr.key(10))
    a = jr.normal(jr.key(11), (1, 32))
    grads = eqx.filter_jit(eqx.filter_grad(lambda m: jnp.sum(m(a) ** 2)))(fno)
    assert float(jnp.abs(grads.blocks[0].spectral.weight).sum()) > 0


@pytest.mark.parametrize(
    "model_fn,shift",
    [
        (lambda k: DilatedResNet(1, 1, hidden_channels=8, num_blocks=2, key=k), 5),
        (lambda k: UNet(1, 1, hidden_channels=8, num_levels=2, key=k), 4),  # a multiple of 2**2
    ],
)
def test_conv_baselines_periodic_shift_equivariance(model_fn, shift):
    model = eqx.filter_jit(model_fn(jr.key(12)))
    x = jr.normal(jr.key(13), (1, 64))
    np.testing.assert_allclose(
        model(jnp.roll(x, shift, -1)), jnp.roll(model(x), shift, -1), atol=2e-5
    )


def test_unet_rejects_indivisible_grid():
    with pytest.raises(ValueError, match="divisible by 2"):
        UNet(1, 1, hidden_channels=4, num_levels=1, key=jr.key(0))(jnp.ones((1, 63)))


@pytest.mark.parametrize("grid,modes", [((12,), 7), ((12, 12), (6, 7)), ((8, 10, 12), (3, 2, 4))])
def test_dft_and_fft_evaluations_agree(grid, modes):
    # two independent evaluations: truncated DFT matrices vs full FFT (Nyquist cases included)
    d = len(grid)
    dft = SpectralConv(3, 2, modes, d, method="dft", key=jr.key(14))
    fft = SpectralConv(3, 2, modes, d, method="fft", key=jr.key(14))
    v = jr.normal(jr.key(15), (3, *grid))
    np.testing.assert_allclose(eqx.filter_jit(dft)(v), eqx.filter_jit(fft)(v), atol=2e-6)


def test_pointwise_linear_is_the_affine_channel_map_with_one_bias_per_channel(getkey):
    layer = PointwiseLinear(3, 4, key=getkey())
    assert layer.weight.shape == (4, 3) and layer.bias.shape == (4,)
    v = jr.normal(getkey(), (3, 5, 6))
    expected = jnp.einsum("oi,ixy->oxy", layer.weight, v) + layer.bias[:, None, None]
    np.testing.assert_allclose(layer(v), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        layer.apply_channels_last(jnp.moveaxis(v, 0, -1)),
        jnp.moveaxis(expected, 0, -1),
        rtol=1e-5,
        atol=1e-6,
    )
    assert PointwiseLinear(3, 4, use_bias=False, key=getkey()).bias is None


def test_spectral_conv_refuses_a_grid_too_small_for_its_modes_on_a_full_axis():
    # the first axis keeps modes -m..m-1 (2m of them), the halved last axis only 0..m-1
    conv = SpectralConv(1, 1, modes=4, num_spatial_dims=2, key=jr.key(0))
    assert conv(jnp.ones((1, 8, 6))).shape == (1, 8, 6)
    with pytest.raises(ValueError, match="grid size 6 along spatial axis 0 .* at least 8"):
        conv(jnp.ones((1, 6, 16)))


@pytest.mark.parametrize("method", ["dft", "fft"])
def test_spectral_conv_keeps_float32_under_x64(x64, method):
    conv = SpectralConv(2, 2, modes=4, num_spatial_dims=1, method=method, key=jr.key(1))
    v = jr.normal(jr.key(2), (2, 16), jnp.float32)
    assert conv(v).dtype == jnp.float32


def test_fno_dropout_only_with_a_key():
    fno = FNO(1, 1, width=8, modes=4, num_layers=2, dropout=0.5, key=jr.key(3))
    a = jnp.sin(jnp.linspace(0.0, 6.0, 16))[None]
    plain = fno(a)
    np.testing.assert_array_equal(plain, fno(a))  # no key: deterministic, no dropout
    dropped = fno(a, key=jr.key(4))
    assert np.all(np.isfinite(dropped)) and not np.allclose(dropped, plain)
