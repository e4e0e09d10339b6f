"""A training run driven as a subprocess by test_train_resume.py (so it can be SIGKILLed).

Usage: python resume_worker.py RUN_DIR [STEPS]. Resumes from RUN_DIR's checkpoints if any
and writes the final parameters to RUN_DIR/final.npz.
"""

import sys

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.sampling import AbstractSampler
from sciml_jax.train import RunDir, fit


class MinibatchSampler(AbstractSampler):
    """Random minibatches from a fixed set, with a counter in its state."""

    x: jax.Array
    y: jax.Array

    def init(self, key):
        return jnp.zeros((), jnp.int32)

    def sample(self, state, key):
        index = jr.choice(key, self.x.shape[0], (32,), replace=False)
        return {"x": self.x[index], "y": self.y[index]}, state + 1


def main(run_dir: str, steps: int) -> None:
    x = jnp.linspace(-2, 2, 512)[:, None]
    y = jnp.sin(3 * x)
    model = eqx.nn.MLP(1, 1, 64, 3, activation=jnp.tanh, key=jr.key(0))
    loss = lambda m, b, k: jnp.mean((jax.vmap(m)(b["x"]) - b["y"]) ** 2)
    config = TrainConfig(
        steps=steps,
        chunk_size=50,
        checkpoint_every=100,
        keep_last=2,
        optimizer=OptimizerConfig(learning_rate=1e-3),
        progress=False,
    )
    result = fit(
        model, loss, config, key=jr.key(1), sampler=MinibatchSampler(x, y), run=RunDir(run_dir)
    )
    leaves = jax.tree.leaves(eqx.filter(result.model, eqx.is_array))
    np.savez(f"{run_dir}/final.npz", *[np.asarray(a) for a in leaves])
    print("sampler_state", int(result.state.sampler_state), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3000)
