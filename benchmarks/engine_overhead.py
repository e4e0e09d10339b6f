"""Steps/s of `sciml_jax.train.fit` versus a hand-written `jax.jit` + `lax.scan` loop.

Both train the same MLP regression with the same Adam step; the hand-written loop is the
fastest plain-JAX way to run it (one jitted scan per chunk, buffers donated, nothing
else). The engine adds per-step key folding, named loss terms, the gradient norm for its
NaN guard, and per-chunk host work (NaN check, log record, progress). Prints one JSON line.

    python benchmarks/engine_overhead.py [--steps 20000] [--chunk 1000] [--repeats 5]
"""

import argparse
import json
import platform
import statistics
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import optax

from sciml_jax.config import OptimizerConfig, TrainConfig
from sciml_jax.train import fit


def problem(width: int):
    x = jnp.linspace(-2.0, 2.0, 256)[:, None]
    data = {"x": x, "y": jnp.sin(3 * x)}
    model = eqx.nn.MLP(1, 1, width, 3, activation=jnp.tanh, key=jr.key(0))
    return model, data


def mse(model, batch, key):
    return jnp.mean((jax.vmap(model)(batch["x"]) - batch["y"]) ** 2)


def engine_rate(model, data, steps, chunk) -> float:
    config = TrainConfig(
        steps=steps,
        chunk_size=chunk,
        checkpoint_every=steps,
        optimizer=OptimizerConfig(learning_rate=1e-3),
        progress=False,
    )
    history = fit(model, mse, config, key=jr.key(1), data=data).history
    # Steady state: from the end of the first chunk (which includes compilation).
    seconds = history[-1]["wall_time"] - history[0]["wall_time"]
    return (steps - chunk) / seconds


def handwritten_rate(model, data, steps, chunk) -> float:
    params, static = eqx.partition(model, eqx.is_inexact_array)
    optimizer = optax.adam(1e-3)

    def loss(p):
        return mse(eqx.combine(p, static), data, None)

    def step(carry, _):
        p, opt_state = carry
        value, grads = jax.value_and_grad(loss)(p)
        updates, opt_state = optimizer.update(grads, opt_state, p)
        return (optax.apply_updates(p, updates), opt_state), value

    run_chunk = jax.jit(
        lambda carry: jax.lax.scan(step, carry, None, length=chunk), donate_argnums=0
    )
    carry = jax.tree.map(jnp.copy, (params, optimizer.init(params)))
    carry, losses = run_chunk(carry)
    jax.block_until_ready(losses)
    start = time.perf_counter()
    for _ in range(steps // chunk - 1):
        carry, losses = run_chunk(carry)
        jax.device_get(losses)  # the engine also reads its metrics back each chunk
    return (steps - chunk) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    model, data = problem(args.width)
    engine, handwritten = [], []
    for _ in range(args.repeats):  # interleaved, so machine noise hits both alike
        handwritten.append(handwritten_rate(model, data, args.steps, args.chunk))
        engine.append(engine_rate(model, data, args.steps, args.chunk))
    engine_median, hand_median = statistics.median(engine), statistics.median(handwritten)
    print(
        json.dumps(
            {
                "benchmark": "engine_overhead",
                "model": f"MLP 1-{args.width}x3-1 tanh, 256 points, Adam",
                "steps": args.steps,
                "chunk_size": args.chunk,
                "repeats": args.repeats,
                "engine_steps_per_s": round(engine_median, 1),
                "handwritten_steps_per_s": round(hand_median, 1),
                "overhead_percent": round(100 * (hand_median / engine_median - 1), 2),
                "target_overhead_percent": 5.0,
                "device": str(jax.devices()[0]),
                "machine": platform.machine(),
                "date": time.strftime("%Y-%m-%d"),
            }
        )
    )


if __name__ == "__main__":
    main()
