"""Simulator throughput: steps/s of our ETDRK steppers, vmapped batches and sweeps, Darcy.

Prints one JSON line per row. Where exponax 0.2.0 is installed (the `bench` extra) the
same PDE, resolution, ETDRK order, dealiasing and dtype run through the same `lax.scan`
harness in the same process, and the row carries `ratio_vs_exponax` (ours / theirs,
> 1 means we are faster). Timings are the best of `--repeats` runs after a warm-up call,
so compilation is excluded.

    python benchmarks/sim_throughput.py [--repeats 5] [--quick] [--only ks,burgers,ns,sweep,darcy]
"""

import argparse
import json
import platform
import time

import jax
import jax.numpy as jnp

from sciml_jax.distributed import sweep
from sciml_jax.sim import (
    Burgers,
    DarcySolver,
    KuramotoSivashinsky,
    NavierStokesVorticity,
    make_grid,
    rollout_final,
)


def best_time(fn, *args, repeats: int) -> float:
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return min(times)


def steps_per_second(stepper, u0, num_steps: int, batch: int | None, repeats: int) -> float:
    """Steps/s of one trajectory (or of the vmapped batch, counting batch-steps)."""
    run = lambda u: rollout_final(stepper, u, num_steps)
    if batch is not None:
        run = jax.vmap(run)
        u0 = jnp.broadcast_to(u0, (batch,) + u0.shape) * (
            1 + 0.01 * jnp.arange(batch).reshape((batch,) + (1,) * u0.ndim)
        )
    seconds = best_time(jax.jit(run), u0, repeats=repeats)
    return num_steps * (batch or 1) / seconds


def exponax_module():
    try:
        import exponax
    except ImportError:
        return None
    return exponax


def emit(row: dict) -> None:
    row.setdefault("device", jax.devices()[0].device_kind)
    row.setdefault("jax_devices", jax.device_count())
    row.setdefault("machine", platform.machine())
    print(json.dumps(row), flush=True)


def ks_rows(args, exponax):
    for (n,) in [(256,), (1024,)]:
        length, dt = 60.0, 0.1
        x = make_grid(1, length, n)
        u0 = jnp.sin(2 * jnp.pi * x / length) + 0.2 * jnp.cos(6 * jnp.pi * x / length)
        ours = KuramotoSivashinsky(1, length, n, dt, form="combustion", order=2)
        steps = 2_000 if args.quick else 10_000
        for batch in (None, 64):
            row = {
                "benchmark": "ks_steps_per_s",
                "pde": "Kuramoto-Sivashinsky (combustion form), ETDRK2, 2/3 dealiasing",
                "num_points": n,
                "batch": batch or 1,
                "dtype": str(u0.dtype),
                "steps_per_s": steps_per_second(
                    ours, u0, steps // (8 if batch else 1), batch, args.repeats
                ),
            }
            if exponax is not None:
                theirs = exponax.stepper.KuramotoSivashinsky(1, length, n, dt, order=2)
                row["exponax_steps_per_s"] = steps_per_second(
                    theirs, u0, steps // (8 if batch else 1), batch, args.repeats
                )
                row["ratio_vs_exponax"] = row["steps_per_s"] / row["exponax_steps_per_s"]
            emit(row)


def burgers_rows(args, exponax):
    n, length, dt, nu = 1024, 2.0, 1e-3, 0.01 / jnp.pi
    x = make_grid(1, length, n, origin=-1.0)
    u0 = -jnp.sin(jnp.pi * x)
    ours = Burgers(1, length, n, dt, diffusivity=nu, order=2)
    steps = 2_000 if args.quick else 10_000
    row = {
        "benchmark": "burgers_steps_per_s",
        "pde": "viscous Burgers (conservative), ETDRK2, 2/3 dealiasing",
        "num_points": n,
        "batch": 1,
        "dtype": str(u0.dtype),
        "steps_per_s": steps_per_second(ours, u0, steps, None, args.repeats),
    }
    if exponax is not None:
        theirs = exponax.stepper.Burgers(1, length, n, dt, diffusivity=nu, order=2)
        row["exponax_steps_per_s"] = steps_per_second(theirs, u0, steps, None, args.repeats)
        row["ratio_vs_exponax"] = row["steps_per_s"] / row["exponax_steps_per_s"]
    emit(row)


def ns_rows(args, exponax):
    n, length, dt, nu = 128, 1.0, 1e-3, 1e-3
    x, y = make_grid(2, length, n)
    omega0 = (jnp.sin(2 * jnp.pi * x) * jnp.cos(4 * jnp.pi * y) + jnp.cos(2 * jnp.pi * y))[None]
    ours = NavierStokesVorticity(length, n, dt, diffusivity=nu, order=2)
    for batch in (None, 64):
        steps = (50 if batch else 500) // (5 if args.quick else 1)
        row = {
            "benchmark": "ns2d_steps_per_s",
            "pde": "2D Navier-Stokes vorticity, ETDRK2, 2/3 dealiasing, unforced",
            "num_points": f"{n}x{n}",
            "batch": batch or 1,
            "dtype": str(omega0.dtype),
            "steps_per_s": steps_per_second(ours, omega0, steps, batch, args.repeats),
        }
        if exponax is not None:
            theirs = exponax.stepper.NavierStokesVorticity(
                2, length, n, dt, diffusivity=nu, order=2
            )
            row["exponax_steps_per_s"] = steps_per_second(
                theirs, omega0, steps, batch, args.repeats
            )
            row["ratio_vs_exponax"] = row["steps_per_s"] / row["exponax_steps_per_s"]
        emit(row)


def sweep_rows(args):
    """A vmapped (and, with several devices, sharded) sweep vs a Python loop of solves.

    Two sizes: the speed-up of vmap over a loop of the same jitted solve is the per-call
    overhead it removes plus the better use of wide ops, so it is large when one solve is
    small and shrinks as one solve's own FFT work grows.
    """
    count = 64 if args.quick else 256
    for n, steps in ((256, 200), (64, 50)):
        length, dt = 2 * jnp.pi, 1e-2
        x = make_grid(1, length, n)
        u0 = jnp.sin(x) + 0.5
        viscosities = jnp.geomspace(0.01, 0.5, count)

        def solve(nu, u0=u0, n=n, steps=steps, length=length, dt=dt):
            return rollout_final(Burgers(1, length, n, dt, diffusivity=nu), u0, steps)

        single = jax.jit(solve)

        def swept_run(values, solve=solve):
            return sweep(solve, values)

        def loop(values, single=single):
            return [single(v) for v in values]

        swept = best_time(swept_run, viscosities, repeats=args.repeats)
        looped = best_time(loop, list(viscosities), repeats=max(1, args.repeats // 2))
        emit(
            {
                "benchmark": "viscosity_sweep",
                "pde": f"Burgers N={n}, {steps} ETDRK2 steps per viscosity",
                "num_viscosities": count,
                "vmapped_seconds": swept,
                "python_loop_seconds": looped,
                "speedup_vmapped_over_loop": looped / swept,
                "target_speedup": 20.0,
            }
        )


def darcy_rows(args):
    for precision in ("float32", "float64"):
        # float32 CG stalls at a true relative residual ~ eps * cond(A) ~ 1e-3 at 128^2
        # with a 4x contrast; float64 reaches the requested tolerance.
        jax.config.update("jax_enable_x64", precision == "float64")
        darcy_row(args)
    jax.config.update("jax_enable_x64", False)


def darcy_row(args):
    n = 128
    solver = DarcySolver(n, rtol=1e-6)
    x, y = solver.grid()
    # FNO-style two-phase permeability: 12 where a smooth field is positive, else 3.
    smooth = jnp.sin(3 * jnp.pi * x) * jnp.cos(2 * jnp.pi * y) + 0.3 * jnp.cos(5 * jnp.pi * x * y)
    a = jnp.where(smooth >= 0, 12.0, 3.0)
    f = jnp.ones_like(a)
    solve = jax.jit(solver)
    seconds = best_time(solve, a, f, repeats=args.repeats)
    gradient = jax.jit(jax.grad(lambda a: jnp.mean(solver(a, f) ** 2)))
    grad_seconds = best_time(gradient, a, repeats=args.repeats)
    u = solve(a, f)
    residual = solver.residual(a, u, f)
    emit(
        {
            "benchmark": "darcy_solve",
            "grid": f"{n}x{n}",
            "solver": "Jacobi-preconditioned CG, rtol 1e-6",
            "dtype": str(a.dtype),
            "solve_seconds": seconds,
            "gradient_seconds_implicit": grad_seconds,
            "cg_iterations": int(solver.iterations(a, f)),
            "relative_residual": float(jnp.linalg.norm(residual) / jnp.linalg.norm(f[1:-1, 1:-1])),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="fewer steps (smoke run)")
    parser.add_argument("--only", default="ks,burgers,ns,sweep,darcy")
    args = parser.parse_args()
    exponax = exponax_module()
    if exponax is None:
        emit({"benchmark": "note", "message": "exponax not installed; no comparison rows"})
    parts = set(args.only.split(","))
    if "ks" in parts:
        ks_rows(args, exponax)
    if "burgers" in parts:
        burgers_rows(args, exponax)
    if "ns" in parts:
        ns_rows(args, exponax)
    if "sweep" in parts:
        sweep_rows(args)
    if "darcy" in parts:
        darcy_rows(args)


if __name__ == "__main__":
    main()
