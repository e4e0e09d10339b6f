"""EDM for particle clusters against independent truths: the EGNN noise network's
E(3) x S_N equivariance over many random transforms (with non-equivariant controls that
the check must catch), the zero-CoM chart's orthonormality, the samplers' exact zero
centre of mass whatever the network returns, the reverse SDE and probability-flow ODE on
an isotropic Gaussian in the zero-CoM subspace against its known covariance ``c (I - 11^T/N)``
(and against the Euler-Maruyama variance recursion computed in numpy), the loss's analytic
minimum, the LJ13 data path against the Cambridge Cluster Database minimum and the
harmonic equipartition energy, and a tiny end-to-end run of the experiment."""

import importlib.util
import json
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sciml_jax.config import TrainConfig
from sciml_jax.data import (
    LJ13_GLOBAL_MINIMUM,
    icosahedron13,
    langevin_cluster_frames,
    lj_cluster_energy,
)
from sciml_jax.inference import (
    VPSDE,
    EquivariantNoise,
    equivariance_error,
    from_zero_com,
    random_orthogonal,
    sample_zero_com,
    to_zero_com,
    zero_com_dsm_loss,
)
from sciml_jax.nn import EGNN
from sciml_jax.train import RunDir

ROOT = Path(__file__).resolve().parents[1]
SDE = VPSDE()
N, D, C = 13, 3, 0.5  # the Gaussian test: x_0 ~ N(0, C P), P the zero-CoM projector


class GaussianNoise(eqx.Module):
    """E[eps | x_t] for x_0 ~ N(0, c P) on the zero-CoM subspace, sigma x / (alpha^2 c +
    sigma^2), plus a constant `push` (not CoM-free: the samplers must project it away).
    Arrays as fields, so one compiled sampler serves every c and push."""

    c: jax.Array
    push: jax.Array

    def __call__(self, x, t):
        alpha, sigma = SDE.alpha(t), SDE.sigma(t)
        return sigma * x / (alpha**2 * self.c + sigma**2) + self.push


gaussian_eps = GaussianNoise(jnp.asarray(C), jnp.asarray(0.0))


LOW_T_CHAINS = dict(kT=0.02, num_chains=32, frames_per_chain=8, stride=100, burn_in=1000)


def _centred(key, n=N):
    x = jr.normal(key, (n, D))
    return x - jnp.mean(x, axis=0)


def test_random_orthogonal_is_orthogonal_and_reflects_half_the_time(getkey):
    qs = jax.vmap(random_orthogonal)(jr.split(getkey(), 400))
    np.testing.assert_allclose(
        jnp.einsum("nij,nkj->nik", qs, qs), np.broadcast_to(np.eye(3), (400, 3, 3)), atol=1e-5
    )
    dets = np.linalg.det(np.asarray(qs, np.float64))
    np.testing.assert_allclose(np.abs(dets), 1.0, atol=1e-5)
    assert 0.4 < np.mean(dets < 0) < 0.6  # binomial(400, 1/2): 4 standard errors


class _Broken(eqx.Module):
    """The EDM noise network plus terms that break one symmetry each, switched by
    `weights` (an array, so one compilation serves the network and every control)."""

    base: EquivariantNoise
    weights: jax.Array

    def __call__(self, x, t):
        breaks = [
            x**2,  # rotation: squares of components are not a vector
            jnp.cross(x, jnp.roll(x, 1, axis=0)),  # reflection: a pseudovector
            jnp.arange(N)[:, None] * x / N,  # permutation: depends on the atom's index
            jnp.broadcast_to(jnp.mean(x, axis=0), x.shape),  # translation
        ]
        return self.base(x, t) + sum(w * b for w, b in zip(self.weights, breaks, strict=True))


@eqx.filter_jit
def _output_and_error(model, x, t, key):
    return model(x, t), equivariance_error(model, x, t, key=key, num_transforms=256)


def test_egnn_noise_is_e3_and_permutation_equivariant_in_float32(getkey):
    base = EquivariantNoise(EGNN(2, 16, 2, coord_range=5.0, key=getkey()), SDE)
    model = _Broken(base, jnp.zeros(4))  # the network itself
    for t in (1e-3, 0.1, 0.5, 1.0):
        x, t = _centred(getkey()), jnp.asarray(t)
        eps, error = _output_and_error(model, x, t, getkey())
        assert jnp.linalg.norm(eps) > 1e-2  # a trivially small output proves nothing
        assert float(jnp.max(jnp.abs(jnp.mean(eps, axis=0)))) < 1e-7  # a zero-CoM field
        assert float(error) <= 1e-5, (float(t), float(error))
    # the check catches each broken symmetry (same compiled function)
    x, t = _centred(getkey()), jnp.asarray(0.5)
    for i, name in enumerate(["rotation", "reflection", "permutation", "translation"]):
        _, error = _output_and_error(_Broken(base, 0.1 * jnp.eye(4)[i]), x, t, getkey())
        assert float(error) > 1e-3, (name, float(error))


def test_zero_com_chart_is_orthonormal(x64, getkey):
    x = jr.normal(getkey(), (N, D))
    z = to_zero_com(x)
    assert z.shape == (N - 1, D)
    np.testing.assert_allclose(from_zero_com(z), x - x.mean(0), atol=1e-13)  # H^T H = P
    np.testing.assert_allclose(jnp.sum(z**2), jnp.sum((x - x.mean(0)) ** 2), rtol=1e-13)
    np.testing.assert_allclose(to_zero_com(from_zero_com(z)), z, atol=1e-13)  # H H^T = I


def _em_variance_ratio(c, num_steps, t_min=1e-3):
    """The reverse-SDE Euler-Maruyama recursion for a 1D Gaussian N(0, c) with the exact
    score, plus the Tweedie denoising factor: variance(samples) / c, in float64 numpy."""
    ts = np.linspace(1.0, t_min, num_steps + 1)
    la = -0.25 * ts**2 * (SDE.beta_max - SDE.beta_min) - 0.5 * ts * SDE.beta_min
    a2, s2 = np.exp(2 * la), -np.expm1(2 * la)
    beta = SDE.beta_min + ts * (SDE.beta_max - SDE.beta_min)
    v = 1.0
    for k in range(num_steps):
        dt = ts[k + 1] - ts[k]
        gain = 1 + (-0.5 * beta[k] + beta[k] / (a2[k] * c + s2[k])) * dt
        v = gain**2 * v - beta[k] * dt
    factor = np.sqrt(a2[-1]) * c / (a2[-1] * c + s2[-1])
    return v * factor**2 / c


@pytest.mark.parametrize("method", ["sde", "ode"])
def test_samplers_reproduce_an_isotropic_gaussian_with_zero_centre_of_mass(method, getkey):
    n, steps = 4000, 200
    kwargs = {"num_steps": steps} if method == "sde" else {"rtol": 1e-5, "atol": 1e-5}

    def sample(c, key):  # the same shapes and numbers: one compilation
        model = GaussianNoise(jnp.asarray(c), jnp.asarray(0.3))  # pushed along (1, 1, 1)
        return sample_zero_com(model, SDE, N, n, key=key, method=method, **kwargs)

    x = sample(C, getkey())
    # zero centre of mass whatever the network returns (float32 rounding of H^T z)
    assert float(jnp.max(jnp.abs(jnp.mean(x, axis=1)))) < 1e-6 * float(jnp.sqrt(C))
    x = np.asarray(x, np.float64)
    # known covariance of x_0 ~ N(0, C P): cov(x_i, x_j) per axis = C (delta_ij - 1/N)
    cov = np.einsum("sia,sja->ij", x, x) / (n * D)
    truth = C * (np.eye(N) - 1.0 / N)
    # per-dof variance: (N-1) D dof per sample; chi-square relative error sqrt(2 / dof)
    ratio = np.trace(cov) / np.trace(truth)
    se = np.sqrt(2 / (n * (N - 1) * D))
    expected = _em_variance_ratio(C, steps) if method == "sde" else 1.0
    assert abs(ratio - expected) < 4 * se, (ratio, expected, se)
    assert abs(ratio - 1.0) < 4 * se + 0.01  # within 1 % (the 200-step EM bias is 0.7 %)
    # every entry, off-diagonal -C/N included, within 5 standard errors (~C sqrt(1/(n D)))
    np.testing.assert_allclose(cov, truth, atol=5 * C * np.sqrt(2 / (n * D)))
    # the check rejects the exact sampler of the wrong Gaussian, N(0, 2 C P)
    wrong = np.asarray(sample(2 * C, getkey()), np.float64)
    assert np.mean(wrong**2) * N / (N - 1) / C > 1.9


def test_zero_com_loss_at_the_exact_noise_is_the_analytic_minimum(x64, getkey):
    t_min = 1e-3
    nodes, weights = np.polynomial.legendre.leggauss(200)
    t = t_min + (1 - t_min) * (nodes + 1) / 2
    a2 = np.exp(2 * np.asarray(SDE.log_alpha(jnp.asarray(t))))
    minimum = np.sum(weights / 2 * a2 * C / (a2 * C + 1 - a2))
    z0 = np.sqrt(C) * jr.normal(getkey(), (4000, N - 1, D))
    x0 = jax.vmap(from_zero_com)(z0) + jr.normal(getkey(), (4000, 1, D))  # CoM is dropped
    loss_fn = eqx.filter_jit(zero_com_dsm_loss(SDE, t_min=t_min))
    loss = float(loss_fn(gaussian_eps, {"positions": x0}, getkey()))
    # per-sample loss: mean of 36 terms of variance < 2 each; 4000 samples
    assert loss == pytest.approx(minimum, abs=4 * np.sqrt(2 / (4000 * 36)))
    key = getkey()

    exact = float(loss_fn(gaussian_eps, {"positions": x0}, key))
    pushed = GaussianNoise(jnp.asarray(C), jnp.asarray(0.05))  # its CoM part is dropped
    assert float(loss_fn(pushed, {"positions": x0}, key)) == pytest.approx(exact, rel=1e-9)
    too_small = GaussianNoise(jnp.asarray(0.7 * C), jnp.asarray(0.0))
    assert float(loss_fn(too_small, {"positions": x0}, key)) > exact


def test_lj13_frames_at_low_temperature_have_the_equipartition_energy(getkey):
    kT, energy_fn, settings = LOW_T_CHAINS["kT"], lj_cluster_energy(), LOW_T_CHAINS
    frames = langevin_cluster_frames(energy_fn, icosahedron13(), key=getkey(), **settings)
    assert frames["positions"].shape == (256, 13, 3)
    np.testing.assert_allclose(frames["positions"].mean(axis=1), 0.0, atol=1e-5)
    # harmonic equipartition about the Mackay icosahedron (-44.326801, the Cambridge
    # Cluster Database): <U> - U_min = (3N - 6) kT / 2, anharmonic terms O(kT^2)
    excess = frames["potential_energy"].mean() - LJ13_GLOBAL_MINIMUM
    assert excess == pytest.approx(16.5 * kT, rel=0.1)
    assert frames["max_radius"].max() < 1.3  # bound: vertices sit at 1.09 sigma
    # an atom beyond the escape radius is refused with the fix (same compiled chains)
    with pytest.raises(ValueError, match="evaporates; lower kT"):
        langevin_cluster_frames(
            energy_fn, icosahedron13(), key=getkey(), escape_radius=1.0, **settings
        )


def test_bad_inputs_name_the_fix(getkey):
    with pytest.raises(ValueError, match="method"):
        sample_zero_com(gaussian_eps, SDE, N, 4, key=getkey(), method="euler")
    with pytest.raises(ValueError, match="num_layers"):
        EGNN(2, 8, 0, key=getkey())
    with pytest.raises(ValueError, match=r"\(batch, N, d\)"):
        zero_com_dsm_loss(SDE)(gaussian_eps, {"positions": jnp.zeros((4, 39))}, getkey())


def _experiment():
    spec = importlib.util.spec_from_file_location("edm_lj13", ROOT / "experiments" / "edm_lj13.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_edm_lj13_tiny(tmp_path):
    m = _experiment()
    config = m.Config(
        experiment="edm_lj13",
        # the chains of the equipartition test: their compilation is reused
        data=m.DataConfig(**LOW_T_CHAINS, batch_size=8),
        model=m.ModelConfig(hidden_size=8, num_layers=1),
        sample=m.SampleConfig(num_samples=8, sde_steps=5, ode=False, equivariance_transforms=8),
        train=TrainConfig(steps=10, chunk_size=10, checkpoint_every=10),
    )
    summary = m.run(config, RunDir(tmp_path / "run"))
    json.dumps(summary)
    assert summary["relaxed_minimum_energy"] == pytest.approx(LJ13_GLOBAL_MINIMUM, abs=2e-4)
    assert summary["equivariance_error"] <= 1e-5
    for key in ("energy_wasserstein1", "overlap_fraction", "energy_wasserstein1_md_halves"):
        assert np.isfinite(summary[key]), key
    assert 0 <= summary["overlap_fraction"] <= 1
    assert list((tmp_path / "run").rglob("energy_histogram*"))
