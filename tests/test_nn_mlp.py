"""Coordinate networks: exact periodicity, exact hard constraints, factorisation that
preserves the initial function, frozen embeddings."""

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

from sciml_jax.nn import MLP, Ansatz, Dense, FourierFeatures, PeriodicEmbedding


def test_periodic_embedding_makes_the_network_exactly_periodic(getkey):
    embed = PeriodicEmbedding(2, axes=(0,), periods=(2.0,), num_harmonics=3)
    net = MLP(2, "scalar", 16, 2, embedding=embed, key=getkey())
    p = jax.random.uniform(getkey(), (32, 2))
    shifted = p + jnp.array([2.0, 0.0])
    difference = jax.vmap(net)(p) - jax.vmap(net)(shifted)
    assert float(jnp.max(jnp.abs(difference))) < 1e-5
    assert embed.out_size == 7


def test_weight_factorisation_leaves_the_initial_weights_unchanged(getkey):
    key = getkey()
    plain = Dense(5, 7, key=key)
    factorised = Dense(5, 7, factorise=(1.0, 0.1), key=key)
    x = jnp.arange(5.0)
    assert float(jnp.max(jnp.abs(plain(x) - factorised(x)))) < 1e-5
    assert factorised.log_scale.shape == (7,)


def test_ansatz_satisfies_dirichlet_conditions_exactly(getkey):
    net = MLP(1, "scalar", 8, 2, key=getkey())
    u = Ansatz(net, lambda p, n: p[0] * (1 - p[0]) * n)
    assert float(u(jnp.array([0.0]))) == 0.0
    assert float(u(jnp.array([1.0]))) == 0.0
    assert abs(float(u(jnp.array([0.5])))) > 0


def test_fourier_features_are_not_trained(getkey):
    embed = FourierFeatures(2, 8, 5.0, key=getkey())
    net = MLP(2, 3, 16, 2, embedding=embed, key=getkey())
    grads = jax.grad(lambda m: jnp.sum(m(jnp.array([0.3, 0.4])) ** 2))(net)
    assert float(jnp.max(jnp.abs(grads.embedding.frequencies))) == 0.0
    assert float(jnp.max(jnp.abs(grads.layers[0].weight))) > 0.0
    # Frequency scale: the std of the entries is sigma.
    assert abs(float(jnp.std(FourierFeatures(2, 4096, 5.0, key=getkey()).frequencies)) - 5.0) < 0.15


def test_modified_mlp_is_a_convex_gate_of_its_encoders(getkey):
    # With every hidden pre-activation forced to 0 (zero weights and biases), tanh gives
    # z = 0, so each hidden state equals the encoder U exactly.
    net = MLP(2, "scalar", 8, 3, modified=True, key=getkey())
    zero = lambda layer: eqx.tree_at(
        lambda d: (d.weight, d.bias), layer, (0 * layer.weight, 0 * layer.bias)
    )  # noqa: E731
    net = eqx.tree_at(
        lambda m: m.layers[1:-1], net, tuple(zero(layer) for layer in net.layers[1:-1])
    )
    p = jnp.array([0.2, -0.5])
    gate_u = jnp.tanh(net.gates[0](p))
    # After the first hidden layer, z = tanh(0) = 0 so the state is (1 - 0) U + 0 V = U.
    expected = net.layers[-1](gate_u)[0]
    assert abs(float(net(p) - expected)) < 1e-6


def test_bad_sizes_are_refused(getkey):
    with pytest.raises(ValueError, match="out_size"):
        MLP(2, 0, key=getkey())
    with pytest.raises(ValueError, match="embedding expects"):
        MLP(3, 1, embedding=FourierFeatures(2, 4, 1.0, key=getkey()), key=getkey())
    with pytest.raises(ValueError, match="unknown activation"):
        MLP(2, 1, activation="relu6", key=getkey())
