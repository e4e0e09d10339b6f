"""Roofline of every benchmark's step: FLOPs and bytes (XLA's cost analysis of the
compiled step), time per step, and the fractions of the device's measured peaks.

Rows (one JSON line each, then one overall line with the peaks):

- `pinn_adam_step`: the Burgers PINN Adam step of `burgers_pinn_throughput.py` (DeepXDE's
  setup: 3x20 tanh MLP, 2540 + 240 fixed points, forward-mode residual, float32);
- `fno_train_step`: one Adam step of the FNO Burgers protocol at the paper's settings
  (width 64, 16 modes, 4 layers, s = 1024, batch 20; an epoch of 1000 samples is 50 steps);
- `spectral_etdrk2_step`: Burgers N = 1024, ETDRK2 on Fourier coefficients (the
  `burgers` row of `sim_throughput.py`);
- `sweep_*`: the step of `sim_throughput.py --only sweep` (Burgers N = 256, ETDRK2): one
  member (what the Python loop runs), 256 members vmapped, a chunk of 64, the 4 FFTs of
  the step alone over 256 members (the bound), and the lead `fused_sweep`;
- `md_lj_nve_step`: the LJ NVE step of `md_throughput.py` (4096 atoms, neighbour list
  updated inside the step).

XLA counts a loop body once, so each row analyses one step and times a `lax.scan` of
many (best of `--repeats`). Peaks: a float32 matmul (FLOP/s) and an in-place copy of
256 MiB (bytes/s), best of `--repeats`, measured before and after the rows and the
better of the two kept; every row is placed against the same peaks.

    python benchmarks/roofline.py [--repeats 3] [--figure roofline.png]
"""

import argparse
import json
import os
import platform
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
from burgers_pinn_throughput import NU, make_loss
from md_throughput import Ours, lattice
from sim_throughput import SWEEP_CHUNK, fused_sweep

from sciml_jax.analysis import DevicePeaks, best_time, measure_peaks, roofline_point, step_cost
from sciml_jax.config import OptimizerConfig
from sciml_jax.geometry import Interval, TimeDomain
from sciml_jax.nn import FNO, MLP
from sciml_jax.ops import make_grid
from sciml_jax.pde import Burgers
from sciml_jax.sampling import CollocationSampler
from sciml_jax.sim import BurgersStepper, maxwell_boltzmann
from sciml_jax.train import TrainState, make_optimizer, make_step
from sciml_jax.workflow import mean_rel_l2


def scanned(step, num_steps: int):
    """`num_steps` of `step(carry, *rest) -> carry` in one jitted `lax.scan`."""

    def run(carry, *rest):
        body = lambda c, _: (step(c, *rest), None)
        return jax.lax.scan(body, carry, None, length=num_steps)[0]

    return jax.jit(run)


def train_row(model, loss_fn, batch, num_steps):
    """`(step, args, timed, steps)` of one Adam step (lr 1e-3) of `loss_fn`."""
    params, static = eqx.partition(model, eqx.is_array)
    optimizer = make_optimizer(OptimizerConfig(name="adam", learning_rate=1e-3))
    step = make_step(loss_fn, optimizer, static)
    key = jr.key(2)
    names = tuple(loss_fn(model, batch, key))
    weights = {name: jnp.ones(()) for name in names}
    state = TrainState(params, optimizer.init(params), weights, jnp.zeros((), jnp.int32), key, None)
    timed = scanned(lambda s, b, k: step(s, b, k)[0], num_steps)
    return step, (state, batch, key), timed, num_steps


def pinn_row():
    domain = TimeDomain(Interval(-1.0, 1.0), 0.0, 1.0)
    batch = CollocationSampler(domain, 2540, 80, 160, resample=False).init(jr.key(1))
    model = MLP(2, "scalar", 20, 3, "tanh", key=jr.key(0))
    loss_fn = make_loss(Burgers(viscosity=NU).residual, True)
    return train_row(model, loss_fn, batch, 200)


def fno_row():
    model = FNO(1, 1, width=64, modes=16, num_layers=4, key=jr.key(0))
    ka, ku = jr.split(jr.key(1))
    batch = {"a": jr.normal(ka, (20, 1, 1024)), "u": jr.normal(ku, (20, 1, 1024))}

    def loss_fn(net, batch, key):
        return {"rel_l2": mean_rel_l2(jax.vmap(net)(batch["a"]), batch["u"])}

    return train_row(model, loss_fn, batch, 5)


def fourier_row(stepper, u_hat, num_steps):
    step = lambda u, s: s.step_fourier(u).astype(u.dtype)
    return step, (u_hat, stepper), scanned(step, num_steps), num_steps


def spectral_row():
    n = 1024
    x = make_grid(1, 2.0, n, origin=-1.0)
    stepper = BurgersStepper(1, 2.0, n, 1e-3, diffusivity=NU, order=2)
    return fourier_row(stepper, stepper.to_fourier(-jnp.sin(jnp.pi * x)), 1000)


SWEEP_N, SWEEP_STEPS, SWEEP_MEMBERS = 256, 200, 256


def sweep_setup(members: int):
    """The sweep of `sim_throughput.sweep_step_costs`: batched steppers and states."""
    length, dt = 2 * jnp.pi, 1e-2
    u0 = jnp.sin(make_grid(1, length, SWEEP_N)) + 0.5
    nus = jnp.geomspace(0.01, 0.5, SWEEP_MEMBERS)[:members]
    steppers = jax.vmap(lambda nu: BurgersStepper(1, length, SWEEP_N, dt, diffusivity=nu))(nus)
    u_hat = jnp.broadcast_to(jnp.fft.rfft(u0), (members, 1, SWEEP_N // 2 + 1))
    return steppers, u_hat


def sweep_rows():
    steppers, u_hat = sweep_setup(SWEEP_MEMBERS)
    single = jax.tree.map(lambda leaf: leaf[0], steppers)
    rows = {"sweep_one_member_step": (fourier_row(single, u_hat[0], SWEEP_STEPS), 1)}
    vmapped = jax.vmap(lambda u, s: s.step_fourier(u).astype(u.dtype))
    for name, members in (("sweep_vmapped_step", SWEEP_MEMBERS), ("sweep_chunk_step", SWEEP_CHUNK)):
        s, u = sweep_setup(members)
        rows[name] = ((vmapped, (u, s), scanned(vmapped, SWEEP_STEPS), SWEEP_STEPS), members)
    n = SWEEP_N

    def ffts(v):
        for _ in range(2):
            v = jnp.fft.rfft(jnp.fft.irfft(v, n=n))
        return v

    rows["sweep_ffts_only_step"] = (
        (ffts, (u_hat,), scanned(ffts, SWEEP_STEPS), SWEEP_STEPS),
        SWEEP_MEMBERS,
    )
    constants, fused = fused_sweep(steppers)
    step = lambda u, c: fused(c, u)
    rows["sweep_fused_step"] = (
        (step, (u_hat, constants), scanned(step, SWEEP_STEPS), SWEEP_STEPS),
        SWEEP_MEMBERS,
    )
    return rows


def md_row():
    positions, box = lattice(16, 0.8)
    masses = jnp.ones((positions.shape[0], 1), jnp.float32)
    momenta = maxwell_boltzmann(jr.key(0), masses, 1.0, 3)
    ours = Ours(positions, momenta, box, 0.005, 0.5)
    return ours.apply_fn, (ours.state,), scanned(ours.apply_fn, 100), 100


def emit(row: dict) -> None:
    print(json.dumps(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--figure", default=None, help="where to save the roofline figure")
    parser.add_argument("--matmul-size", type=int, default=2048)
    parser.add_argument("--copy-mib", type=int, default=256)
    parser.add_argument("--only", default="pinn,fno,spectral,sweep,md")
    args = parser.parse_args()
    loads = [os.getloadavg()[0]]
    start = time.perf_counter()
    peaks = measure_peaks(
        matmul_size=args.matmul_size, copy_bytes=args.copy_mib * 2**20, repeats=args.repeats
    )
    parts = args.only.split(",")
    rows = {}
    if "pinn" in parts:
        rows["pinn_adam_step"] = (pinn_row(), 1)
    if "fno" in parts:
        rows["fno_train_step"] = (fno_row(), 20)
    if "spectral" in parts:
        rows["spectral_etdrk2_step"] = (spectral_row(), 1)
    if "sweep" in parts:
        rows.update(sweep_rows())
    if "md" in parts:
        rows["md_lj_nve_step"] = (md_row(), 1)
    measured = {}
    for name, ((step, step_args, timed, steps), _) in rows.items():
        load = os.getloadavg()[0]
        seconds = best_time(timed, *step_args, repeats=args.repeats) / steps
        measured[name] = (step_cost(step, *step_args), seconds, load)
    # The peaks again at the end, the better of the two kept: on a shared machine one
    # window of load would otherwise put every row above its "peak".
    again = measure_peaks(
        matmul_size=args.matmul_size, copy_bytes=args.copy_mib * 2**20, repeats=args.repeats
    )
    peaks = DevicePeaks(
        max(peaks.flops_per_s, again.flops_per_s),
        max(peaks.bytes_per_s, again.bytes_per_s),
        peaks.device,
    )
    points = {}
    for name, (cost, seconds, load) in measured.items():
        members = rows[name][1]
        point = roofline_point(cost, seconds, peaks)
        points[name] = point
        out = {"benchmark": "roofline", "row": name, **point.as_dict()}
        out["steps_per_s"] = 1.0 / point.seconds
        out["members"] = members
        out["us_per_member_step"] = point.seconds / members * 1e6
        out["load_1min"] = load
        emit(out)
    overall = {
        "benchmark": "roofline_peaks",
        "device": peaks.device,
        "peak_gflops_per_s": peaks.flops_per_s / 1e9,
        "peak_gbytes_per_s": peaks.bytes_per_s / 1e9,
        "ridge_flops_per_byte": peaks.ridge_point,
        "matmul_size": args.matmul_size,
        "copy_mib": args.copy_mib,
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, jax {jax.__version__}",
        "load_1min_start_end": loads + [os.getloadavg()[0]],
        "wall_s": time.perf_counter() - start,
    }
    sweep = {k: p for k, p in points.items() if k.startswith("sweep_")}
    if {"sweep_one_member_step", "sweep_vmapped_step", "sweep_fused_step"} <= set(sweep):
        one = sweep["sweep_one_member_step"].seconds
        for name in ("sweep_vmapped_step", "sweep_chunk_step", "sweep_fused_step"):
            members = rows[name][1]
            overall[f"{name}_speedup_over_one_member"] = one / (sweep[name].seconds / members)
        overall["sweep_ffts_bound_speedup"] = one / (
            sweep["sweep_ffts_only_step"].seconds / SWEEP_MEMBERS
        )
    if args.figure:
        from sciml_jax.viz import plot_roofline

        figure = plot_roofline(points, peaks, title=f"roofline, {overall['machine']}")
        figure.savefig(args.figure, dpi=120)
        overall["figure"] = args.figure
    emit(overall)


if __name__ == "__main__":
    main()
