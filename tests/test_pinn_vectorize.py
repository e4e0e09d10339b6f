"""Column-batched (vectorized) PINN evaluation equals the vmapped per-point one.

The per-point path is itself checked against exact derivatives in test_ops_autodiff.py,
so agreement here is agreement with an independent truth.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import pytest
from helpers import tree_allclose

from sciml_jax.losses import dirichlet_loss, pointwise, residual_loss
from sciml_jax.nn import MLP, Ansatz, FourierFeatures, PeriodicEmbedding, PirateNet
from sciml_jax.ops import divergence, grad, laplacian, partial_derivative
from sciml_jax.pde import AllenCahn, Burgers, Heat, Helmholtz


def _points(key, n, dim):
    return jr.uniform(key, (n, dim), minval=-1.0, maxval=1.0)


def _networks(key):
    k1, k2, k3, k4, k5 = jr.split(key, 5)
    plain = MLP(2, "scalar", 16, 3, "tanh", key=k1)
    fancy = MLP(
        2,
        "scalar",
        16,
        2,
        "sin",
        embedding=FourierFeatures(2, 8, 2.0, key=k2),
        factorise=(1.0, 0.1),
        modified=True,
        key=k3,
    )
    periodic = MLP(2, "scalar", 16, 2, embedding=PeriodicEmbedding(2, (0,), (2.0,), 3), key=k4)
    pirate = PirateNet(
        2,
        "scalar",
        16,
        2,
        embedding=PeriodicEmbedding(2, (0,), (2.0,), 3),
        factorise=(1.0, 0.1),
        key=k5,
    )
    ansatz = Ansatz(plain, lambda p, n: -jnp.sin(jnp.pi * p[0]) + p[1] * (1 - p[0] ** 2) * n)
    return {
        "plain": plain,
        "fancy": fancy,
        "periodic": periodic,
        "pirate": pirate,
        "ansatz": ansatz,
    }


@pytest.mark.parametrize(
    "name, pde",
    [
        ("ansatz", Burgers()),
        ("periodic", AllenCahn()),
        ("pirate", AllenCahn()),
        ("fancy", Heat()),
        ("plain", Burgers()),
    ],
    ids=[
        "burgers-ansatz",
        "allen_cahn-periodic",
        "allen_cahn-pirate",
        "heat-fourier_modified",
        "burgers-plain",
    ],
)
def test_vectorized_residual_equals_vmapped(getkey, x64, name, pde):
    net = _networks(getkey())[name]
    points = _points(getkey(), 64, 2)
    vmapped = pointwise(lambda p: pde.residual(net, p), points)
    columns = pointwise(lambda p: pde.residual(net, p), points, vectorize=True)
    assert columns.shape == vmapped.shape == (64,)
    assert tree_allclose(columns, vmapped, rtol=1e-12, atol=1e-12)
    if name == "ansatz":
        # gradients of the loss with respect to the parameters agree too
        # jitted: eager, the nested forward-over-reverse derivatives dispatch op by op
        g1 = eqx.filter_jit(eqx.filter_grad(lambda m: residual_loss(pde.residual, m, points)))(net)
        g2 = eqx.filter_jit(
            eqx.filter_grad(lambda m: residual_loss(pde.residual, m, points, vectorize=True))
        )(net)
        assert tree_allclose(g1, g2, rtol=1e-10, atol=1e-12)


def test_vectorized_operators_in_two_space_dimensions(getkey, x64):
    net = MLP(3, 2, 12, 2, "tanh", key=getkey())
    scalar = lambda p: net(p)[0] * net(p)[1]  # noqa: E731
    field = lambda p: net(p)  # noqa: E731  two components paired with x, y
    points = _points(getkey(), 32, 3)
    for op in (
        laplacian(scalar, axes=("x", "y")),
        divergence(field),
        partial_derivative(scalar, "x", "t"),
    ):
        vmapped = pointwise(op, points)
        columns = pointwise(op, points, vectorize=True)
        assert tree_allclose(columns, vmapped, rtol=1e-12, atol=1e-12)
    # the gradient of a column batch puts the coordinate axis first: (dim, n)
    assert tree_allclose(grad(scalar)(points.T).T, jax.vmap(grad(scalar))(points), rtol=1e-12)


def test_vectorized_helmholtz_and_dirichlet(getkey, x64):
    pde = Helmholtz()
    net = Ansatz(MLP(2, "scalar", 16, 2, key=getkey()), lambda p, n: (1 - p[0] ** 2) * n)
    points = _points(getkey(), 50, 2)
    a = residual_loss(pde.residual, net, points)
    b = residual_loss(pde.residual, net, points, vectorize=True, chunk_size=10)
    assert jnp.allclose(a, b, rtol=1e-12)
    assert jnp.allclose(
        dirichlet_loss(net, points, pde.exact),
        dirichlet_loss(net, points, pde.exact, vectorize=True),
        rtol=1e-12,
    )


def test_vectorize_rejects_a_function_that_does_not_broadcast(getkey):
    def per_point_only(p):
        return jnp.sum(p**2, axis=-1)  # sums over the points when given columns

    with pytest.raises(ValueError, match="must return shape"):
        pointwise(per_point_only, _points(getkey(), 7, 2), vectorize=True)
