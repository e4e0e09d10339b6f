"""Performance accounting against truths we can count by hand."""

import math
import time

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import pytest

from sciml_jax.analysis import (
    DevicePeaks,
    StepCost,
    bound_of,
    measure_peaks,
    roofline,
    roofline_point,
    step_cost,
)
from sciml_jax.analysis._roofline import cost_dict
from sciml_jax.viz import plot_roofline

M, K, N = 24, 40, 8  # distinct, so a transposed count would show


def test_matmul_flops_are_two_m_n_k_and_bytes_are_operands_plus_result():
    cost = step_cost(jnp.matmul, jnp.ones((M, K)), jnp.ones((K, N)))
    assert cost.flops == 2 * M * N * K  # XLA counts a multiply-add as two flops, exactly
    assert cost.bytes_accessed == 4 * (M * K + K * N + M * N)
    assert cost.argument_bytes == 4 * (M * K + K * N)
    assert cost.output_bytes == 4 * M * N


def test_elementwise_bytes_are_inputs_plus_output_once_fused():
    x = jnp.ones(1000)
    cost = step_cost(lambda x, y: x * y + 1.0, x, 2 * x)
    # one fused loop: reads x and y once, writes the result once; the product never
    # goes to memory
    assert cost.bytes_accessed == 3 * 4 * 1000
    assert cost.flops == 2 * 1000
    assert cost.transcendentals == 0
    assert step_cost(jnp.exp, x).transcendentals == 1000


def test_a_scan_body_is_counted_once_so_steps_are_analysed_alone():
    b = jnp.ones((K, K))

    def ten_steps(a):
        return jax.lax.scan(lambda c, _: (c @ b, None), a, None, length=10)[0]

    one = 2 * M * K * K
    a = jnp.ones((M, K))
    cost = step_cost(ten_steps, a)
    assert one <= cost.flops < 1.01 * one  # the body once, plus the loop counter
    # the traffic is XLA's figure as it stands, not mixed with the memory analysis
    compiled = jax.jit(ten_steps).lower(a).compile()
    assert cost.temp_bytes > 0
    assert cost.peak_bytes >= cost.argument_bytes + cost.output_bytes + cost.temp_bytes
    assert cost.bytes_accessed == cost_dict(compiled.cost_analysis())["bytes accessed"]


def test_cost_dict_accepts_both_return_shapes_and_names_what_is_missing():
    entry = {"flops": 6.0, "bytes accessed": 3.0}
    assert cost_dict(entry)["flops"] == 6.0
    assert cost_dict([entry])["bytes accessed"] == 3.0  # older jax: one dict per computation
    assert cost_dict([entry, entry])["flops"] == 12.0
    assert cost_dict({"bytes accessed": 8.0})["flops"] == 0.0  # XLA omits zero counters
    with pytest.raises(ValueError, match="lacks 'bytes accessed'.*has \\['flops'\\]"):
        cost_dict({"flops": 1.0})
    for nothing in (None, []):
        with pytest.raises(ValueError, match="no cost analysis"):
            cost_dict(nothing)


def _cost(flops, bytes_accessed):
    return StepCost(flops, bytes_accessed, 0.0, 100, 10, 50, 40)


def test_roofline_point_on_hand_made_numbers():
    peaks = DevicePeaks(flops_per_s=100e9, bytes_per_s=20e9, device="made up")
    assert peaks.ridge_point == 5.0
    # intensity 10 flop/B, above the ridge: compute bound, roof = the peak
    point = roofline_point(_cost(1e9, 1e8), 0.1, peaks)
    assert point.arithmetic_intensity == 10.0 and point.bound == "compute"
    assert math.isclose(point.flops_per_s, 10e9) and math.isclose(point.bytes_per_s, 1e9)
    assert math.isclose(point.flops_fraction, 0.1)
    assert math.isclose(point.bandwidth_fraction, 0.05)
    assert point.attainable_flops_per_s == 100e9 and math.isclose(point.roof_fraction, 0.1)
    assert point.peak_bytes == 100 and point.ridge_point == 5.0
    # intensity 1 flop/B, below the ridge: memory bound, roof = 1 * 20 GB/s
    point = roofline_point(_cost(1e8, 1e8), 0.01, peaks)
    assert point.bound == "memory" and point.attainable_flops_per_s == 20e9
    assert math.isclose(point.bandwidth_fraction, 0.5) and math.isclose(point.roof_fraction, 0.5)
    assert bound_of(5.0, 5.0) == "compute" and bound_of(4.99, 5.0) == "memory"
    with pytest.raises(ValueError, match="seconds per step must be > 0"):
        roofline_point(_cost(1.0, 1.0), 0.0, peaks)
    with pytest.raises(ValueError, match="moves 0.0 bytes"):
        roofline_point(_cost(1.0, 0.0), 1.0, peaks)


def test_measured_peaks_are_finite_rates_of_the_default_device():
    peaks = measure_peaks(matmul_size=64, copy_bytes=4 * 4096, repeats=2)
    assert 0 < peaks.flops_per_s < math.inf and 0 < peaks.bytes_per_s < math.inf
    assert peaks.device == jax.devices()[0].device_kind
    assert math.isclose(peaks.ridge_point, peaks.flops_per_s / peaks.bytes_per_s)


def test_roofline_costs_one_step_and_times_per_step():
    peaks = DevicePeaks(1e12, 1e11, "made up")
    a, b = jnp.ones((M, K)), jnp.ones((K, K))
    step = jax.jit(lambda a: a @ b)
    many = jax.jit(lambda a: jax.lax.scan(lambda c, _: (step(c), None), a, None, length=50)[0])
    point = roofline(step, a, peaks=peaks, timed=many, steps_per_call=50, repeats=2)
    assert point.flops == 2 * M * K * K
    assert 0 < point.seconds < 1.0
    assert math.isclose(point.flops_per_s * point.seconds, point.flops)

    # a timed call of known length: 10 "steps" in >= 50 ms, so >= 5 ms per step
    def slow(a):
        time.sleep(0.05)
        return a

    point = roofline(step, a, peaks=peaks, timed=slow, steps_per_call=10, repeats=1)
    assert 0.005 <= point.seconds < 0.025
    with pytest.raises(ValueError, match="steps_per_call must be >= 1"):
        roofline(step, a, peaks=peaks, steps_per_call=0)


def test_roofline_figure_draws_both_ceilings_and_every_point(tmp_path):
    peaks = DevicePeaks(flops_per_s=100e9, bytes_per_s=20e9, device="made up")
    points = {"fft step": (0.5, 2e9), "matmul": roofline_point(_cost(1e9, 1e8), 0.1, peaks)}
    figure = plot_roofline(points, peaks)
    (axis,) = figure.axes
    assert axis.get_xscale() == "log" and axis.get_yscale() == "log"
    roof = axis.get_lines()[0]
    x, y = np.asarray(roof.get_xdata()), np.asarray(roof.get_ydata())
    np.testing.assert_allclose(y, np.minimum(100e9, 20e9 * x))
    assert y.max() == 100e9  # the compute ceiling
    markers = [line for line in axis.get_lines() if line.get_marker() == "o"]
    assert sorted((m.get_xdata()[0], m.get_ydata()[0]) for m in markers) == [
        (0.5, 2e9),
        (10.0, 1e10),
    ]
    assert {text.get_text() for text in axis.texts} == {"fft step", "matmul"}
    path = tmp_path / "roofline.png"
    figure.savefig(path)
    plt.close(figure)
    assert path.stat().st_size > 1000
