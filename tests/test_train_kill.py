"""SIGKILL a run at 20 random moments; every resume continues bit for bit, nothing corrupt.

The same file is the worker: `python test_train_kill.py zygote` imports JAX once and
forks one child per launch; each child trains a tiny model (resuming from its run
folder's checkpoints) and writes its final state to final.npz there.
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

STEPS = 1500
CHUNK = 10


def worker(run_dir: str, keep_last: int) -> None:
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import jax.random as jr

    from sciml_jax.config import OptimizerConfig, TrainConfig
    from sciml_jax.sampling import AbstractSampler
    from sciml_jax.train import RunDir, fit

    class Minibatches(AbstractSampler):
        x: jax.Array

        def init(self, key):
            return jnp.zeros((), jnp.int32)

        def sample(self, state, key):
            x = self.x[jr.choice(key, self.x.shape[0], (16,), replace=False)]
            return {"x": x, "y": jnp.sin(3 * x)}, state + 1

    model = eqx.nn.MLP(1, 1, 8, 2, activation=jnp.tanh, key=jr.key(0))
    loss = lambda m, b, k: jnp.mean((jax.vmap(m)(b["x"]) - b["y"]) ** 2)  # noqa: E731
    config = TrainConfig(
        steps=STEPS,
        chunk_size=CHUNK,
        checkpoint_every=CHUNK,
        keep_last=keep_last,
        optimizer=OptimizerConfig(learning_rate=3e-3),
        progress=False,
    )
    sampler = Minibatches(jnp.linspace(-2, 2, 256)[:, None])
    result = fit(model, loss, config, key=jr.key(1), sampler=sampler, run=RunDir(run_dir))
    # Parameters, optimizer state, step, key and sampler state: the whole run state.
    np.savez(f"{run_dir}/final.npz", *[np.asarray(a) for a in jax.tree.leaves(result.state)])


class Zygote:
    """One process that has imported JAX and forks a fresh worker per launch.

    Importing JAX costs seconds on a loaded machine, a fork milliseconds. The zygote
    never touches a JAX backend, so each forked child initialises its own (forking after
    initialisation would be unsafe); the child is what gets SIGKILLed.
    """

    def __init__(self, cache: Path):
        env = {
            **os.environ,
            "JAX_PLATFORMS": "cpu",
            # The compiled chunk is reused across launches: same executable, same bits.
            "JAX_COMPILATION_CACHE_DIR": str(cache),
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
            "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
        }
        self.process = subprocess.Popen(
            [sys.executable, __file__, "zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self._read() == "ready"

    def _read(self) -> str:
        return self.process.stdout.readline().strip()

    def launch(self, run_dir: Path, keep_last: int) -> int:
        self.process.stdin.write(f"run {run_dir} {keep_last}\n")
        self.process.stdin.flush()
        return int(self._read().split()[1])

    def wait(self, pid: int) -> int:
        """The child's exit status (negative: killed by that signal)."""
        self.process.stdin.write(f"wait {pid}\n")
        self.process.stdin.flush()
        return int(self._read().split()[1])

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


def zygote() -> None:
    import traceback

    import equinox  # noqa: F401
    import jax  # noqa: F401
    import optax  # noqa: F401

    import sciml_jax.sampling  # noqa: F401
    import sciml_jax.train  # noqa: F401

    print("ready", flush=True)
    for line in sys.stdin:
        verb, *args = line.split()
        if verb == "run":
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    sys.stdin.close()
                    worker(args[0], int(args[1]))
                except BaseException:
                    traceback.print_exc()
                    code = 1
                os._exit(code)
            print(f"pid {pid}", flush=True)
        elif verb == "wait":
            _, status = os.waitpid(int(args[0]), 0)
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            print(f"status {code}", flush=True)


def newest_step(run_dir: Path) -> int:
    from sciml_jax.train import list_checkpoints

    found = list_checkpoints(run_dir / "checkpoints")
    return int(found[-1].stem.split("_")[1]) if found else 0


def leaves_of(path: Path) -> list[np.ndarray]:
    from sciml_jax.train._checkpoint import read_checkpoint

    return read_checkpoint(path)[0]


def test_sigkill_at_20_random_moments_resumes_bit_identically(tmp_path):
    from sciml_jax.train import RunDir, list_checkpoints
    from sciml_jax.train._checkpoint import CorruptCheckpointError

    zygote = Zygote(tmp_path / "jax_cache")
    reference_dir, killed_dir = tmp_path / "reference", tmp_path / "killed"
    try:
        # Steady-state seconds per chunk, timed after the first checkpoint so that
        # start-up and compilation (most of a short run on a fast machine) are excluded.
        pid = zygote.launch(reference_dir, STEPS)
        deadline = time.time() + 120
        while newest_step(reference_dir) < CHUNK:
            assert time.time() < deadline, "no progress within 120 s"
            time.sleep(0.002)
        start = time.perf_counter()
        assert zygote.wait(pid) == 0
        chunk_seconds = (time.perf_counter() - start) / (STEPS // CHUNK - 1)
        reference_checkpoints = {p.name: p for p in list_checkpoints(reference_dir / "checkpoints")}

        rng = random.Random(16)
        corrupt, compared, steps_seen = 0, 0, []
        for _ in range(20):
            before = newest_step(killed_dir)
            pid = zygote.launch(killed_dir, 2)
            if rng.random() < 0.25:
                # While it starts: restoring the checkpoint, compiling, the first chunk.
                # On a fast machine the remaining chunks can take under a second, so the
                # sleep stays below half of their steady-state time.
                remaining = (STEPS - before) // CHUNK
                time.sleep(rng.uniform(0.0, min(1.0, 0.5 * remaining * chunk_seconds)))
            else:
                # A few chunks on, then anywhere inside the compute/log/checkpoint cycle.
                # The cycle is timed on this very run (the chunk before `target`), so a
                # change of load on a shared machine cannot stretch the sleep by chunks.
                target = before + CHUNK * rng.randint(2, 5)
                assert target + 3 * CHUNK < STEPS, "the run would finish before the kill"
                deadline = time.time() + 120
                marks = {}
                while (step := newest_step(killed_dir)) < target:
                    assert time.time() < deadline, "no progress within 120 s"
                    if step >= target - CHUNK:
                        marks.setdefault("previous", time.perf_counter())
                    time.sleep(0.002)
                cycle = time.perf_counter() - marks.get("previous", time.perf_counter())
                time.sleep(rng.uniform(0.0, 2 * min(cycle or chunk_seconds, chunk_seconds)))
            os.kill(pid, signal.SIGKILL)
            assert zygote.wait(pid) == -signal.SIGKILL, "the run finished before the kill"
            for path in list_checkpoints(killed_dir / "checkpoints"):
                try:
                    stored = leaves_of(path)
                except CorruptCheckpointError:
                    corrupt += 1
                    continue
                expected = leaves_of(reference_checkpoints[path.name])
                assert all(
                    a.dtype == b.dtype and np.array_equal(a, b)
                    for a, b in zip(stored, expected, strict=True)
                ), f"{path.name} differs from the uninterrupted run's"
                compared += 1
            steps_seen.append(newest_step(killed_dir))
        assert corrupt == 0
        assert steps_seen[-1] < STEPS and len(set(steps_seen)) > 10, steps_seen

        assert zygote.wait(zygote.launch(killed_dir, 2)) == 0
    finally:
        zygote.close()
    with np.load(killed_dir / "final.npz") as a, np.load(reference_dir / "final.npz") as b:
        assert a.files == b.files
        for name in a.files:
            assert a[name].dtype == b[name].dtype and np.array_equal(a[name], b[name])
    assert [r["step"] for r in RunDir(killed_dir).read_metrics()] == list(
        range(CHUNK, STEPS + 1, CHUNK)
    )
    print(f"20 kills, {compared} checkpoints compared, 0 corrupt, newest steps {steps_seen}")


if __name__ == "__main__":
    zygote()
