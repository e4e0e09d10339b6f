"""Sharded parameter sweeps equal vmap and really split across devices."""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sciml_jax.distributed import sweep
from sciml_jax.ops import make_grid
from sciml_jax.sim import Diffusion, rollout_final


def _decay(alpha):
    x = make_grid(1, 2 * jnp.pi, 16)
    return rollout_final(Diffusion(1, 2 * jnp.pi, 16, 0.1, diffusivity=alpha), jnp.sin(x), 10)


def test_sweep_equals_vmap_and_exact_decay():
    alphas = jnp.linspace(0.1, 1.0, 7)  # not a multiple of the device count: padded
    swept = sweep(_decay, alphas)
    np.testing.assert_allclose(swept, jax.vmap(_decay)(alphas), rtol=1e-6)
    # Each sine mode decays by exp(-alpha t), t = 1.
    amplitudes = jnp.max(jnp.abs(swept), axis=(1, 2))
    np.testing.assert_allclose(amplitudes, jnp.exp(-alphas), rtol=1e-5)
    chunked = sweep(_decay, alphas, batch_size=2)
    np.testing.assert_allclose(chunked, swept, rtol=1e-6)


def test_sweep_rejects_ragged_parameters():
    with pytest.raises(ValueError, match="leading"):
        sweep(lambda p: p["a"] + p["b"], {"a": jnp.ones(3), "b": jnp.ones(4)})


def test_sweep_shards_across_four_host_devices_in_subprocess():
    script = textwrap.dedent(
        """
        import jax, jax.numpy as jnp
        from sciml_jax.distributed import sweep
        assert len(jax.devices()) == 4, jax.devices()
        out = sweep(lambda a: jnp.exp(-a) * jnp.ones(3), jnp.arange(8.0))
        error = jnp.abs(out[:, 0] - jnp.exp(-jnp.arange(8.0))).max()
        # 7 entries on 4 devices: padded to 8, the padding trimmed off again.
        odd = sweep(lambda a: jnp.exp(-a) * jnp.ones(3), jnp.arange(7.0))
        assert odd.shape == (7, 3), odd.shape
        error = max(error, jnp.abs(odd[:, 0] - jnp.exp(-jnp.arange(7.0))).max())
        print(len(out.sharding.device_set), float(error))
        """
    )
    env = dict(
        os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    devices_used, error = result.stdout.split()
    assert int(devices_used) == 4
    assert float(error) <= 1e-6
