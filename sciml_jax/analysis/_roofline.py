"""Performance accounting: where a compiled step sits against the device's limits.

The roofline model (Williams, Waterman & Patterson 2009) bounds the speed of a kernel
that performs $F$ floating-point operations and moves $Q$ bytes by

$$P \\le \\min(P_\\text{peak},\\; I \\cdot B_\\text{peak}), \\qquad I = F / Q,$$

with $P_\\text{peak}$ the device's FLOP/s, $B_\\text{peak}$ its bandwidth and $I$ the
arithmetic intensity. Below the ridge point $I^* = P_\\text{peak} / B_\\text{peak}$ a
step is memory bound, above it compute bound. Here $F$ and $Q$ come from XLA's cost
analysis of the compiled step (`compiled.cost_analysis()`), the peaks are measured on
the device (a large float32 matmul, a large elementwise copy), and the step is timed.

Counting conventions (XLA's `HloCostAnalysis`): a dot of `(m, k) @ (k, n)` is
`2 m n k` flops; transcendentals (`exp`, `sin`, ...) are counted apart, not as flops;
`bytes accessed` sums each fused kernel's operands and outputs once, so traffic that
stays in cache inside a fusion is not counted, while every unfused intermediate is,
whether it hits cache or DRAM. The body of a `lax.scan`/`while` loop is counted once,
not times its trip count: analyse one step and time many (`timed`, `steps_per_call`).
"""

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from typing import Literal

import jax
import jax.numpy as jnp

from ._diagnostics import compiled_memory_stats


@dataclasses.dataclass(frozen=True)
class StepCost:
    """XLA's accounting of one compiled call: work, traffic and memory.

    `flops`, `bytes_accessed`, `transcendentals` from the cost analysis; `peak_bytes`,
    `temp_bytes`, `argument_bytes`, `output_bytes` from the memory analysis.
    """

    flops: float
    bytes_accessed: float
    transcendentals: float
    peak_bytes: int
    temp_bytes: int
    argument_bytes: int
    output_bytes: int


@dataclasses.dataclass(frozen=True)
class DevicePeaks:
    """Measured ceilings of one device: FLOP/s (a float32 matmul) and bytes/s (a copy)."""

    flops_per_s: float
    bytes_per_s: float
    device: str

    @property
    def ridge_point(self) -> float:
        """$I^* = P_\\text{peak} / B_\\text{peak}$ in flops per byte."""
        return self.flops_per_s / self.bytes_per_s


@dataclasses.dataclass(frozen=True)
class Roofline:
    """One step against the roofline; every rate is per second, every size per step.

    - `flops`, `bytes_accessed`, `seconds`: work, traffic and measured time of one step.
    - `flops_per_s`, `bytes_per_s`: achieved rates; `flops_fraction`,
      `bandwidth_fraction`: their share of the measured peaks.
    - `arithmetic_intensity`: flops per byte; `ridge_point`: the peaks' ratio.
    - `bound`: `"memory"` below the ridge point, `"compute"` at or above it.
    - `attainable_flops_per_s`: $\\min(P_\\text{peak}, I B_\\text{peak})$, the roof over
      this step; `roof_fraction`: achieved over attainable (1 = on the roof; far below 1
      means neither ceiling binds: launches, loop overhead, latency, poor vectorisation).
    - `peak_bytes`, `temp_bytes`, `argument_bytes`, `output_bytes`: compiled memory.
    """

    flops: float
    bytes_accessed: float
    seconds: float
    flops_per_s: float
    bytes_per_s: float
    flops_fraction: float
    bandwidth_fraction: float
    arithmetic_intensity: float
    ridge_point: float
    bound: Literal["memory", "compute"]
    attainable_flops_per_s: float
    roof_fraction: float
    peak_bytes: int
    temp_bytes: int
    argument_bytes: int
    output_bytes: int
    transcendentals: float

    def as_dict(self) -> dict:
        """The fields as a JSON-ready dict."""
        return dataclasses.asdict(self)


def cost_dict(analysis) -> dict[str, float]:
    """`compiled.cost_analysis()` as one dict, whatever the jax version returns.

    Older jax returned a list with one dict per computation, newer a dict; `None` or an
    empty list means the backend offers no cost model.
    """
    if isinstance(analysis, list | tuple):
        if not analysis:
            analysis = None
        elif len(analysis) == 1:
            analysis = analysis[0]
        else:
            # several computations (rare): their costs add up
            merged: dict[str, float] = {}
            for part in analysis:
                for name, value in part.items():
                    merged[name] = merged.get(name, 0.0) + float(value)
            analysis = merged
    if not isinstance(analysis, Mapping):
        raise ValueError(
            f"XLA returned no cost analysis for this backend (got {analysis!r}); the "
            "roofline needs 'flops' and 'bytes accessed' from compiled.cost_analysis(), "
            "which the CPU and GPU backends provide."
        )
    if "bytes accessed" not in analysis:
        raise ValueError(
            f"XLA's cost analysis lacks 'bytes accessed'; it has {sorted(analysis)}. "
            "This backend's cost model cannot place the step on a roofline."
        )
    costs = {name: float(value) for name, value in analysis.items()}
    # XLA leaves out counters that are zero: a pure copy has no 'flops' entry.
    costs.setdefault("flops", 0.0)
    costs.setdefault("transcendentals", 0.0)
    return costs


def step_cost(fn: Callable, *args) -> StepCost:
    """Lower and compile `jax.jit(fn)(*args)` and read XLA's cost and memory analyses.

    **Arguments:**

    - `fn`: the step (jitted or not; it is jitted here).
    - `args`: example arguments (arrays or PyTrees; only shapes and dtypes matter).

    **Returns:** a `StepCost`.

    **Example:**

    ```python
    cost = step_cost(jnp.matmul, jnp.ones((64, 32)), jnp.ones((32, 16)))
    cost.flops   # 2 * 64 * 16 * 32 = 65536.0
    ```
    """
    compiled = jax.jit(fn).lower(*args).compile()
    costs = cost_dict(compiled.cost_analysis())
    memory = compiled_memory_stats(compiled)
    return StepCost(
        flops=costs["flops"],
        bytes_accessed=costs["bytes accessed"],
        transcendentals=costs["transcendentals"],
        peak_bytes=memory["peak_bytes"],
        temp_bytes=memory["temp_bytes"],
        argument_bytes=memory["argument_bytes"],
        output_bytes=memory["output_bytes"],
    )


def best_time(fn: Callable, *args, repeats: int = 5) -> float:
    """Best of `repeats` wall-clock seconds of `fn(*args)`, after one warm-up call.

    The minimum, not the median: on a shared machine load only ever adds time, so the
    best run is the closest to what the hardware does (the peaks are taken the same way).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats!r}.")
    jax.block_until_ready(fn(*args))
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - start)
    return best


def measure_peaks(
    *, matmul_size: int = 2048, copy_bytes: int = 256 * 2**20, repeats: int = 5
) -> DevicePeaks:
    """Measure the default device's FLOP/s and bandwidth.

    FLOP/s: a float32 `(n, n) @ (n, n)` matmul, $2n^3$ flops. Bandwidth: `x + 1` in place
    on a float32 array of `copy_bytes` (one read and one write of every element). Both are
    counted by the same cost analysis as the steps they are compared with, and timed by
    `best_time`.

    **Arguments:**

    - `matmul_size`: $n$ (2048: 17 GFLOP; use tiny sizes in tests).
    - `copy_bytes`: size of the copied array (256 MiB: far beyond any cache).
    - `repeats`: best of this many timed calls.

    **Returns:** a `DevicePeaks`.
    """
    if matmul_size < 1 or copy_bytes < 4:
        raise ValueError(
            f"matmul_size={matmul_size!r} and copy_bytes={copy_bytes!r} must be >= 1 and "
            ">= 4 (one float32)."
        )
    a = jnp.ones((matmul_size, matmul_size), jnp.float32)
    matmul = jax.jit(jnp.matmul)
    flops = step_cost(matmul, a, a).flops
    flops_per_s = flops / best_time(matmul, a, a, repeats=repeats)
    del a
    x = jnp.zeros((copy_bytes // 4,), jnp.float32)
    increment = lambda x: x + 1.0
    moved = step_cost(increment, x).bytes_accessed
    # In place (the input donated, each output fed back): a fresh output buffer per call
    # would time the OS zeroing new pages (~10x slower on CPU), not the memory system;
    # XLA's own temporaries are reused buffers too.
    copy = jax.jit(increment, donate_argnums=0)
    x = jax.block_until_ready(copy(x))
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        x = jax.block_until_ready(copy(x))
        best = min(best, time.perf_counter() - start)
    return DevicePeaks(flops_per_s, moved / best, jax.devices()[0].device_kind)


def bound_of(arithmetic_intensity: float, ridge_point: float) -> Literal["memory", "compute"]:
    """`"memory"` if the intensity is below the ridge point, else `"compute"`."""
    return "memory" if arithmetic_intensity < ridge_point else "compute"


def roofline_point(cost: StepCost, seconds: float, peaks: DevicePeaks) -> Roofline:
    """Place a step of known cost and measured time on the roofline of `peaks`.

    **Arguments:**

    - `cost`: from `step_cost` (or made by hand).
    - `seconds`: the time of one step.
    - `peaks`: from `measure_peaks` (or made by hand).

    **Returns:** a `Roofline`.
    """
    if not seconds > 0:
        raise ValueError(f"seconds per step must be > 0, got {seconds!r}.")
    if not cost.bytes_accessed > 0:
        raise ValueError(
            f"the step moves {cost.bytes_accessed!r} bytes by XLA's count; a step with no "
            "memory traffic has no arithmetic intensity (was it constant-folded?)."
        )
    intensity = cost.flops / cost.bytes_accessed
    flops_per_s = cost.flops / seconds
    bytes_per_s = cost.bytes_accessed / seconds
    attainable = min(peaks.flops_per_s, intensity * peaks.bytes_per_s)
    return Roofline(
        flops=cost.flops,
        bytes_accessed=cost.bytes_accessed,
        seconds=seconds,
        flops_per_s=flops_per_s,
        bytes_per_s=bytes_per_s,
        flops_fraction=flops_per_s / peaks.flops_per_s,
        bandwidth_fraction=bytes_per_s / peaks.bytes_per_s,
        arithmetic_intensity=intensity,
        ridge_point=peaks.ridge_point,
        bound=bound_of(intensity, peaks.ridge_point),
        attainable_flops_per_s=attainable,
        roof_fraction=flops_per_s / attainable if attainable > 0 else math.nan,
        peak_bytes=cost.peak_bytes,
        temp_bytes=cost.temp_bytes,
        argument_bytes=cost.argument_bytes,
        output_bytes=cost.output_bytes,
        transcendentals=cost.transcendentals,
    )


def roofline(
    fn: Callable,
    *args,
    peaks: DevicePeaks,
    timed: Callable | None = None,
    steps_per_call: int = 1,
    repeats: int = 5,
) -> Roofline:
    """Cost-analyse one step `fn(*args)`, time it, and place it against `peaks`.

    A step of microseconds is dominated by dispatch when called alone; pass `timed`, a
    jitted function of the same `args` that runs `steps_per_call` steps (a `lax.scan` of
    `fn`), and the time per step is its best time over `steps_per_call`. The cost is
    always that of one `fn` call (XLA counts a loop body once).

    **Arguments:**

    - `fn`: one step, e.g. `train_step(state, batch, key)`.
    - `args`: its arguments.
    - `peaks`: from `measure_peaks`.
    - `timed`, `steps_per_call`: what to time instead of `fn`, and how many steps it runs.
    - `repeats`: best of this many timed calls.

    **Returns:** a `Roofline`.

    **Example:**

    ```python
    peaks = measure_peaks()
    step = jax.jit(stepper.step_fourier)
    many = jax.jit(lambda u: jax.lax.scan(lambda v, _: (step(v), None), u, None, 1000)[0])
    point = roofline(step, u_hat, peaks=peaks, timed=many, steps_per_call=1000)
    point.bound, point.flops_fraction, point.bandwidth_fraction
    ```
    """
    if steps_per_call < 1:
        raise ValueError(f"steps_per_call must be >= 1, got {steps_per_call!r}.")
    cost = step_cost(fn, *args)
    run = jax.jit(fn) if timed is None else timed
    seconds = best_time(run, *args, repeats=repeats) / steps_per_call
    return roofline_point(cost, seconds, peaks)
