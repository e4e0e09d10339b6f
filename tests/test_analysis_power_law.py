"""A power law y = c x^k by log-linear least squares: `fit_convergence_order` is exactly that
fit (log y = k log x + log c), so the descriptor workflows reuse it; here on data that are
not step sizes."""

import numpy as np
import pytest

from sciml_jax.analysis import fit_convergence_order


@pytest.mark.parametrize("k, c", [(-1.75, 2.5), (0.75, 70.0), (3.0, 1.9e-5)])
def test_exact_power_law_over_decades(k, c):
    x = np.logspace(-2.0, 3.0, 11)
    fitted_k, fitted_c = fit_convergence_order(x, c * x**k)
    assert fitted_k == pytest.approx(k, abs=1e-12)
    assert fitted_c == pytest.approx(c, rel=1e-10)


def test_noise_orthogonal_to_the_regressors_leaves_the_fit_unchanged():
    # Least squares projects log y onto span{1, log x}: multiplicative noise exp(e) with e
    # orthogonal to both columns must give back exactly the noise-free k and c.
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0.5, 200.0, 40))
    design = np.stack([np.ones_like(x), np.log(x)], axis=1)
    e = rng.normal(0.0, 0.3, x.size)
    e -= design @ np.linalg.lstsq(design, e, rcond=None)[0]
    k, c = fit_convergence_order(x, 4.0 * x**-0.5 * np.exp(e))
    assert k == pytest.approx(-0.5, abs=1e-12)
    assert c == pytest.approx(4.0, rel=1e-12)
    # The same noise, not orthogonal any more (a tilt added), moves the slope by the tilt.
    k_tilted, _ = fit_convergence_order(x, 4.0 * x**-0.5 * np.exp(e + 0.1 * np.log(x)))
    assert k_tilted == pytest.approx(-0.4, abs=1e-12)
