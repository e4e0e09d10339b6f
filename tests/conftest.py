"""Shared pytest fixtures: PRNG keys and a float64 switch for tests that need exactness."""

import itertools
import os

# Four CPU devices, so sharding code paths run in the unit tests.
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
os.environ.setdefault("MPLBACKEND", "Agg")
# Tests compile afresh; the persistent cache is tested on its own (test_compilation_cache).
os.environ.setdefault("SCIML_COMPILATION_CACHE", "off")

import jax  # noqa: E402
import jax.random as jr  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def getkey():
    """`getkey()` returns a fresh key each call, deterministic within a test."""
    counter = itertools.count()
    base = jr.key(0)
    return lambda: jr.fold_in(base, next(counter))


@pytest.fixture
def x64():
    """Run the test in float64; restores the previous setting afterwards."""
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)
