"""Simulator throughput: steps/s of our ETDRK steppers, vmapped batches and sweeps, Darcy.

Prints one JSON line per row. Where exponax 0.2.0 is installed (the `bench` extra) the
same PDE, resolution, ETDRK order, dealiasing and dtype run through the same `lax.scan`
harness in the same process, and the row carries `ratio_vs_exponax` (ours / theirs,
> 1 means we are faster). Two harnesses, both applied alike to both libraries:

- `physical`: `stepper(u)` per step, i.e. one forward and one inverse FFT around every
  step (the interface every stepper has);
- `fourier`: `stepper.step_fourier(u_hat)` per step between one `rfftn` and one `irfftn`
  (both libraries have it; our `rollout`/`rollout_final` use it automatically).

Timing: the variants compared in a row are compiled and warmed up, then run in turns,
the order alternating every repeat, so that a change in machine load hits them alike.
A row reports medians over `--repeats` of the wall-clock time and of the process CPU time
(all threads; less distorted than wall time on a busy shared machine, but blind to
multi-core speed-ups), with the 1-minute load average when the row started.

    python benchmarks/sim_throughput.py [--repeats 5] [--quick] [--only ks,burgers,ns,sweep,darcy]

The sweep rows use every visible device; for the sharded sweep on a CPU run

    XLA_FLAGS=--xla_force_host_platform_device_count=4 \\
        python benchmarks/sim_throughput.py --only sweep
"""

import argparse
import json
import os
import platform
import statistics
import time

import jax
import jax.numpy as jnp

from sciml_jax.distributed import sweep
from sciml_jax.ops import make_grid
from sciml_jax.sim import (
    BurgersStepper,
    DarcySolver,
    HeatExplicit,
    KuramotoSivashinsky,
    NavierStokesVorticity,
    rollout_final,
)


def interleaved(cases: dict, repeats: int) -> dict[str, dict[str, float]]:
    """Median wall and CPU seconds of each `name: (fn, arg)`, the cases run in turns."""
    for fn, arg in cases.values():
        jax.block_until_ready(fn(arg))  # compile and warm up
    names = list(cases)
    samples = {name: {"wall": [], "cpu": []} for name in names}
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else names[::-1]:
            fn, arg = cases[name]
            wall, cpu = time.perf_counter(), time.process_time()
            jax.block_until_ready(fn(arg))
            samples[name]["wall"].append(time.perf_counter() - wall)
            samples[name]["cpu"].append(time.process_time() - cpu)
    return {
        name: {kind: statistics.median(values) for kind, values in sample.items()}
        for name, sample in samples.items()
    }


def harness(stepper, num_steps: int, kind: str, num_spatial_dims: int):
    """`u0 -> u_num_steps` by `lax.scan`, the same code for any library's stepper."""
    if kind == "physical":
        return lambda u: jax.lax.scan(lambda v, _: (stepper(v), None), u, None, length=num_steps)[0]
    axes = tuple(range(-num_spatial_dims, 0))

    def run(u):
        u_hat = jnp.fft.rfftn(u, axes=axes)
        u_hat = jax.lax.scan(
            lambda v, _: (stepper.step_fourier(v), None), u_hat, None, length=num_steps
        )[0]
        return jnp.fft.irfftn(u_hat, s=u.shape[-num_spatial_dims:], axes=axes)

    return run


def batched_input(u0, batch: int | None):
    if batch is None:
        return u0
    scale = 1 + 0.01 * jnp.arange(batch).reshape((batch,) + (1,) * u0.ndim)
    return jnp.broadcast_to(u0, (batch,) + u0.shape) * scale


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


def compare_row(row, ours, theirs, u0, num_steps, batch, num_spatial_dims, args):
    """Steps/s (batch-steps for a batch) of ours vs exponax in both harnesses."""
    for kind in ("physical", "fourier"):
        load = os.getloadavg()[0]
        cases = {}
        for name, stepper in (("ours", ours), ("exponax", theirs)):
            if stepper is None:
                continue
            run = harness(stepper, num_steps, kind, num_spatial_dims)
            run = jax.jit(run if batch is None else jax.vmap(run))
            cases[name] = (run, batched_input(u0, batch))
        times = interleaved(cases, args.repeats)
        work = num_steps * (batch or 1)
        out = dict(row, harness=kind, batch=batch or 1, dtype=str(u0.dtype), load_1min=load)
        out["steps_per_s"] = work / times["ours"]["wall"]
        out["steps_per_s_cpu"] = work / times["ours"]["cpu"]
        if "exponax" in times:
            out["exponax_steps_per_s"] = work / times["exponax"]["wall"]
            out["exponax_steps_per_s_cpu"] = work / times["exponax"]["cpu"]
            out["ratio_vs_exponax"] = times["exponax"]["wall"] / times["ours"]["wall"]
            out["ratio_vs_exponax_cpu"] = times["exponax"]["cpu"] / times["ours"]["cpu"]
        emit(out)


def ks_rows(args, exponax):
    for n in (256, 1024):
        length, dt = 60.0, 0.1
        x = make_grid(1, length, n)
        u0 = jnp.sin(2 * jnp.pi * x / length) + 0.2 * jnp.cos(6 * jnp.pi * x / length)
        ours = KuramotoSivashinsky(1, length, n, dt, form="combustion", order=2)
        theirs = None
        if exponax is not None:
            theirs = exponax.stepper.KuramotoSivashinsky(1, length, n, dt, order=2)
        steps = 2_000 if args.quick else 10_000
        for batch in (None, 64):
            row = {
                "benchmark": "ks_steps_per_s",
                "pde": "Kuramoto-Sivashinsky (combustion form), ETDRK2, 2/3 dealiasing",
                "num_points": n,
            }
            compare_row(row, ours, theirs, u0, steps // (8 if batch else 1), batch, 1, args)


def burgers_rows(args, exponax):
    n, length, dt, nu = 1024, 2.0, 1e-3, 0.01 / jnp.pi
    x = make_grid(1, length, n, origin=-1.0)
    u0 = -jnp.sin(jnp.pi * x)
    ours = BurgersStepper(1, length, n, dt, diffusivity=nu, order=2)
    theirs = None
    if exponax is not None:
        theirs = exponax.stepper.Burgers(1, length, n, dt, diffusivity=nu, order=2)
    row = {
        "benchmark": "burgers_steps_per_s",
        "pde": "viscous Burgers (conservative), ETDRK2, 2/3 dealiasing",
        "num_points": n,
    }
    compare_row(row, ours, theirs, u0, 2_000 if args.quick else 10_000, None, 1, args)


def ns_rows(args, exponax):
    n, length, dt, nu = 128, 1.0, 1e-3, 1e-3
    x, y = make_grid(2, length, n)
    omega0 = (jnp.sin(2 * jnp.pi * x) * jnp.cos(4 * jnp.pi * y) + jnp.cos(2 * jnp.pi * y))[None]
    ours = NavierStokesVorticity(length, n, dt, diffusivity=nu, order=2)
    theirs = None
    if exponax is not None:
        theirs = exponax.stepper.NavierStokesVorticity(2, length, n, dt, diffusivity=nu, order=2)
    for batch in (None, 64):
        steps = (50 if batch else 500) // (5 if args.quick else 1)
        row = {
            "benchmark": "ns2d_steps_per_s",
            "pde": "2D Navier-Stokes vorticity, ETDRK2, 2/3 dealiasing, unforced",
            "num_points": f"{n}x{n}",
        }
        compare_row(row, ours, theirs, omega0, steps, batch, 2, args)


def sweep_cases():
    """`(description, solve(value), values_of(count))` for each swept simulator.

    Spectral Burgers is the headline; the explicit finite-difference heat step (no FFT,
    a few fused elementwise passes per step) shows how far vmap goes when one solve's own
    work does not bound the batch.
    """
    cases = []
    for n, steps in ((256, 200), (64, 50)):
        length, dt = 2 * jnp.pi, 1e-2
        u0 = jnp.sin(make_grid(1, length, n)) + 0.5

        def solve(nu, u0=u0, n=n, steps=steps, length=length, dt=dt):
            return rollout_final(BurgersStepper(1, length, n, dt, diffusivity=nu), u0, steps)

        cases.append(
            (
                f"Burgers N={n}, {steps} ETDRK2 steps per viscosity (rollout_final)",
                solve,
                lambda count: jnp.geomspace(0.01, 0.5, count),
            )
        )
    n, steps = 256, 1000
    spacing = 1.0 / n
    dt = 0.4 * spacing**2  # stable for every diffusivity <= 1 (alpha dt / h^2 <= 1/2)
    u0 = jnp.sin(2 * jnp.pi * make_grid(1, 1.0, n)) + 0.5

    def solve_heat(alpha, u0=u0):
        return rollout_final(HeatExplicit(1, 1.0, n, dt, diffusivity=alpha), u0, steps)

    cases.append(
        (
            f"heat FD N={n}, {steps} explicit steps per diffusivity (rollout_final)",
            solve_heat,
            lambda count: jnp.geomspace(0.01, 1.0, count),
        )
    )
    return cases


# Members vmapped at once in the chunked variant (`sweep(..., batch_size=)`): at N=256 a
# chunk of 64 keeps the step's working set (~8 arrays of 64 x 129 complex) in L2, where
# the whole batch of 256 spills to L3; measured 1.5x faster per member on the 2-core CPU.
SWEEP_CHUNK = 64


def sweep_rows(args):
    """A vmapped (and, with several devices, sharded) sweep vs a Python loop of solves.

    The loop calls the same jitted solve (a traced parameter, so one compilation) once per
    value. The speed-up of vmap over it is the per-call and per-op overhead it removes
    plus better use of wide ops, so it is large when one solve is small and shrinks as one
    solve's own FFT work grows. The chunked variant vmaps `SWEEP_CHUNK` members at a time
    (`lax.map` over chunks), trading a few more op launches for a cache-sized working set.
    """
    count = 64 if args.quick else 256
    for description, solve, values_of in sweep_cases():
        values = values_of(count)
        single = jax.jit(solve)

        def swept_run(values, solve=solve):
            return sweep(solve, values)

        def chunked_run(values, solve=solve):
            return sweep(solve, values, batch_size=SWEEP_CHUNK)

        def loop(values, single=single):
            return [single(v) for v in values]

        load = os.getloadavg()[0]
        times = interleaved(
            {
                "vmapped": (swept_run, values),
                "chunked": (chunked_run, values),
                "loop": (loop, list(values)),
            },
            args.repeats,
        )
        swept, chunked, looped = times["vmapped"], times["chunked"], times["loop"]
        emit(
            {
                "benchmark": "viscosity_sweep",
                "pde": description,
                "num_viscosities": count,
                "vmapped_seconds": swept["wall"],
                "python_loop_seconds": looped["wall"],
                "speedup_vmapped_over_loop": looped["wall"] / swept["wall"],
                "vmapped_cpu_seconds": swept["cpu"],
                "python_loop_cpu_seconds": looped["cpu"],
                "speedup_vmapped_over_loop_cpu": looped["cpu"] / swept["cpu"],
                "chunk": SWEEP_CHUNK,
                "chunked_seconds": chunked["wall"],
                "speedup_chunked_over_loop": looped["wall"] / chunked["wall"],
                "target_speedup": 20.0,
                "load_1min": load,
            }
        )
    sweep_step_costs(args, count)


def fused_sweep(steppers):
    """The sweep lead of issue 20 item 5: a batch of Burgers ETDRK2 steppers' step with
    the per-member constants combined once, outside the time loop.

    `jax.vmap` over a stepper's constructor batches every leaf, so the vmapped step reads
    per member the dealiasing mask (four times a step), the derivative symbol and the
    convection coefficient besides the three ETDRK weights. Here the nonlinear term's
    multipliers are one complex array `m = -b * mask * ik` per member and the mask is
    shared: the same arithmetic on the same weights, fewer arrays streamed per step.
    `steppers` is `jax.vmap(lambda nu: BurgersStepper(1, ..., diffusivity=nu))(nus)`
    (conservative form, ETDRK2). Returns `(constants, step)`, `step(constants, u_hat)` on
    `(members, 1, N // 2 + 1)` coefficients.
    """
    n = steppers.num_points
    integrator = steppers.integrator
    derivative = jnp.sum(steppers.derivative, axis=1, keepdims=True)
    multiplier = -steppers.convection_coefficient[:, None, None] * steppers.dealias * derivative
    constants = (
        integrator.exp_full,
        *integrator.coefficients,
        multiplier,
        steppers.dealias[0],
    )

    def step(constants, u_hat):
        exp_full, weight_1, weight_2, multiplier, mask = constants

        def nonlinear(v):
            u = jnp.fft.irfft(mask * v, n=n)
            return multiplier * jnp.fft.rfft(0.5 * u**2)

        n_u = nonlinear(u_hat)
        a = exp_full * u_hat + weight_1 * n_u
        return (a + weight_2 * (nonlinear(a) - n_u)).astype(u_hat.dtype)

    return constants, step


def sweep_step_costs(args, count: int):
    """Why the sweep speed-up saturates: per-step cost of one solve vs one batch member.

    An ETDRK2 Burgers step on Fourier coefficients is 4 FFTs (2 per nonlinear evaluation)
    plus a few elementwise passes. Timing the 4 FFTs alone, unbatched and batched, bounds
    the speed-up any batching of this solver can give on this machine: the batched step
    cannot cost less per member than its FFTs do.
    """
    n, steps = 256, 200
    length, dt = 2 * jnp.pi, 1e-2
    u0 = jnp.sin(make_grid(1, length, n)) + 0.5
    viscosities = jnp.geomspace(0.01, 0.5, count)

    def solve(nu):
        return rollout_final(BurgersStepper(1, length, n, dt, diffusivity=nu), u0, steps)

    def ffts(u_hat):
        def four(v, _):
            v = jnp.fft.rfft(jnp.fft.irfft(v, n=n))
            return jnp.fft.rfft(jnp.fft.irfft(v, n=n)), None

        return jax.lax.scan(four, u_hat, None, length=steps)[0]

    def solve_fused(nus):
        constants, step = fused_sweep(
            jax.vmap(lambda nu: BurgersStepper(1, length, n, dt, diffusivity=nu))(nus)
        )
        u_hat = jnp.broadcast_to(jnp.fft.rfft(u0), (nus.shape[0], 1, n // 2 + 1))
        u_hat = jax.lax.scan(lambda v, _: (step(constants, v), None), u_hat, None, length=steps)[0]
        return jnp.fft.irfft(u_hat, n=n)

    spectrum = jnp.fft.rfft(u0)
    difference = jnp.max(jnp.abs(jax.jit(solve_fused)(viscosities) - jax.vmap(solve)(viscosities)))
    load = os.getloadavg()[0]
    times = interleaved(
        {
            "solve": (jax.jit(solve), viscosities[0]),
            "solve_batched": (jax.jit(jax.vmap(solve)), viscosities),
            "solve_fused_batched": (jax.jit(solve_fused), viscosities),
            "ffts": (jax.jit(ffts), spectrum),
            "ffts_batched": (jax.jit(jax.vmap(ffts)), jnp.broadcast_to(spectrum, (count, 1, 129))),
        },
        args.repeats,
    )
    per_step = {}
    for name, time_ in times.items():
        members = count if name.endswith("batched") else 1
        for kind in ("wall", "cpu"):
            per_step[f"{name}_{kind}_us_per_member_step"] = time_[kind] / steps / members * 1e6
    emit(
        {
            "benchmark": "sweep_step_costs",
            "pde": f"Burgers N={n}, ETDRK2 on Fourier coefficients; 4 FFTs per step",
            "batch": count,
            **per_step,
            "bound_speedup_cpu": per_step["solve_cpu_us_per_member_step"]
            / per_step["ffts_batched_cpu_us_per_member_step"],
            "speedup_batched_over_solve": per_step["solve_wall_us_per_member_step"]
            / per_step["solve_batched_wall_us_per_member_step"],
            "speedup_fused_over_solve": per_step["solve_wall_us_per_member_step"]
            / per_step["solve_fused_batched_wall_us_per_member_step"],
            "fused_max_abs_difference": float(difference),
            "load_1min": load,
        }
    )


def darcy_rows(args):
    for precision in ("float32", "float64"):
        # float32 CG stalls at a true relative residual ~ eps * cond(A) ~ 1e-3 at 128^2
        # with a 4x contrast; float64 reaches the requested tolerance.
        jax.config.update("jax_enable_x64", precision == "float64")
        for n, preconditioner in ((128, "poisson"), (128, "jacobi"), (421, "poisson")):
            darcy_row(args, n, preconditioner)
    jax.config.update("jax_enable_x64", False)


def darcy_row(args, n: int, preconditioner: str):
    """One solve and one implicit gradient; 421^2 is the grid of the FNO Darcy data."""
    solver = DarcySolver(n, rtol=1e-6, preconditioner=preconditioner)
    x, y = solver.grid()
    # FNO-style two-phase permeability: 12 where a smooth field is positive, else 3.
    smooth = jnp.sin(3 * jnp.pi * x) * jnp.cos(2 * jnp.pi * y) + 0.3 * jnp.cos(5 * jnp.pi * x * y)
    a = jnp.where(smooth >= 0, 12.0, 3.0)
    f = jnp.ones_like(a)
    solve = jax.jit(lambda a: solver(a, f))
    gradient = jax.jit(jax.grad(lambda a: jnp.mean(solver(a, f) ** 2)))
    load = os.getloadavg()[0]
    times = interleaved({"solve": (solve, a), "gradient": (gradient, a)}, args.repeats)
    u = solve(a)
    residual = solver.residual(a, u, f)
    emit(
        {
            "benchmark": "darcy_solve",
            "grid": f"{n}x{n}",
            "solver": f"CG, {solver.preconditioner} preconditioner, rtol 1e-6",
            "dtype": str(a.dtype),
            "solve_seconds": times["solve"]["wall"],
            "gradient_seconds_implicit": times["gradient"]["wall"],
            "cg_iterations": int(solver.iterations(a, f)),
            "relative_residual": float(jnp.linalg.norm(residual) / jnp.linalg.norm(f[1:-1, 1:-1])),
            "load_1min": load,
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
