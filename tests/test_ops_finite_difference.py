"""`fd_gradient` against the closed form of the central difference on Fourier and sine modes.

On a mode `sin(k x + c)` the central difference is exact in closed form:
`(u(x + h) - u(x - h)) / 2h = sin(k h) / h * cos(k x + c)`, on a periodic grid and, for a
sine mode that vanishes at both walls, on the Dirichlet grid (its zero padding is the mode's
own value at the walls).
"""

import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.ops import fd_gradient, fd_spacing


@pytest.mark.parametrize("boundary", ["periodic", "dirichlet"])
def test_fd_gradient_is_the_closed_form_central_difference_on_each_axis(x64, boundary):
    length, n = 2.0, 12
    h = fd_spacing(length, n, boundary)
    offset = 0.0 if boundary == "periodic" else h  # Dirichlet stores the interior points
    x = offset + h * np.arange(n)
    # periodic: wavenumbers 2 pi m / L; Dirichlet: pi m / L (zero at both walls)
    kx, ky = (
        (2 * np.pi / length) * np.array([1, 3])
        if boundary == "periodic"
        else (np.pi / length * np.array([2, 5]))
    )
    X, Y = np.meshgrid(x, x, indexing="ij")
    u = jnp.asarray(np.stack([np.sin(kx * X) * np.sin(ky * Y)]))
    du_dx = np.sin(kx * h) / h * np.cos(kx * X) * np.sin(ky * Y)
    du_dy = np.sin(kx * X) * np.sin(ky * h) / h * np.cos(ky * Y)
    np.testing.assert_allclose(fd_gradient(u, h, axis=0, boundary=boundary)[0], du_dx, atol=1e-12)
    np.testing.assert_allclose(fd_gradient(u, h, axis=1, boundary=boundary)[0], du_dy, atol=1e-12)


def test_fd_gradient_is_second_order(x64):
    errors = []
    for n in (32, 64, 128):
        h = fd_spacing(2 * np.pi, n, "periodic")
        x = h * np.arange(n)
        u = jnp.asarray(np.exp(np.sin(x))[None])
        exact = np.cos(x) * np.exp(np.sin(x))
        errors.append(np.max(np.abs(fd_gradient(u, h)[0] - exact)))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    np.testing.assert_allclose(orders, 2.0, atol=0.05)


def test_fd_gradient_refuses_a_missing_axis_naming_the_allowed_range():
    u = jnp.zeros((1, 8, 8))
    with pytest.raises(ValueError, match=r"axis must be in \[0, 2\) .* shape \(1, 8, 8\), got 2"):
        fd_gradient(u, 0.1, axis=2)
