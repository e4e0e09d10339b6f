"""The seeds' bond model: a Gaussian well fitted to a diatomic curve, and its frequency three ways.

`U(r) = -D exp(-(r - r0)^2 / (2 w^2)) + c` is fitted by least squares (optimistix
Levenberg-Marquardt) to a dimer's energy curve near its minimum: ASE's EMT for Cu2
(default) or a Morse curve. The vibrational frequency is then

1. read off the fit, `omega_fit = sqrt(D / (w^2 mu))` (bond stiffness `D / w^2`);
2. from the reference curve, `omega_ref = sqrt(U''(r_min) / mu)` (central finite
   differences on EMT, the closed form `2 D_e a^2` for Morse);
3. measured, `omega_nve`: an NVE (velocity-Verlet) run of the dimer on the fitted
   energy, the peak of the FFT of its bond length (Hann window, parabolic peak
   interpolation).

Units are ASE's (eV, Angstrom, amu); frequencies are reported as wavenumbers (cm^-1).
"""

import time
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx

from sciml_jax.atoms import FreeSpace, gaussian_bond, morse
from sciml_jax.config import RunConfig, spec
from sciml_jax.sim import nve
from sciml_jax.train import RunDir
from sciml_jax.viz import plot_bond_fit, plot_bond_spectrum

DESCRIPTION = "Gaussian bond fitted to EMT Cu2 (or Morse); omega from the fit, U''(r_min), NVE FFT"


@dataclass(frozen=True)
class ProblemConfig:
    reference: str = spec("emt", choices=("emt", "morse"), doc="diatomic curve to fit")
    element: str = spec("Cu", doc="EMT element (Al, Cu, Ag, Au, Ni, Pd, Pt)")
    morse_depth: float = spec(2.0, gt=0.0, doc="Morse D_e, eV")
    morse_a: float = spec(1.4, gt=0.0, doc="Morse range a, 1/A")
    morse_r_e: float = spec(2.2, gt=0.0, doc="Morse r_e, A")
    window_below: float = spec(0.15, gt=0.0, doc="fit window starts at r_min - this, A")
    window_above: float = spec(0.2, gt=0.0, doc="fit window ends at r_min + this, A")
    n_points: int = spec(41, ge=5)
    fd_step: float = spec(1e-3, gt=0.0, doc="finite-difference step for U''(r_min), A")
    amplitude: float = spec(0.01, gt=0.0, doc="initial stretch of the NVE dimer, A")
    steps_per_period: int = spec(40, ge=10)
    periods: int = spec(200, ge=10)


@dataclass(frozen=True)
class Config(RunConfig):
    problem: ProblemConfig = field(default_factory=ProblemConfig)


def dimer(r):
    return jnp.stack([jnp.zeros(3), jnp.array([1.0, 0.0, 0.0]) * r])


def reference_curve(problem: ProblemConfig):
    """`(energy(r) on host arrays, masses (2,), curvature_fn)` of the chosen reference."""
    if problem.reference == "emt":
        from ase import Atoms
        from ase.calculators.emt import EMT

        def energy(rs):
            out = []
            for r in np.atleast_1d(rs):
                atoms = Atoms(f"{problem.element}2", positions=[[0, 0, 0], [float(r), 0, 0]])
                atoms.calc = EMT()
                out.append(atoms.get_potential_energy())
            return np.array(out)

        masses = Atoms(f"{problem.element}2").get_masses()
        return energy, masses
    energy_fn = morse(
        FreeSpace(),
        sigma=problem.morse_r_e,
        epsilon=problem.morse_depth,
        alpha=problem.morse_a,
        r_onset=10 * problem.morse_r_e,
        r_cutoff=11 * problem.morse_r_e,
    )
    masses = np.full(2, 63.546)
    return lambda rs: np.array([float(energy_fn(dimer(r))) for r in np.atleast_1d(rs)]), masses


def wavenumber(omega):
    """rad per ASE time unit -> cm^-1."""
    from ase import units

    omega_per_s = omega * units.fs * 1e15
    return omega_per_s / (2 * np.pi * units._c * 100)


def nve_bond_lengths(energy_fn, masses, r_start, dt, n_steps):
    """`sim.nve` from rest at bond length `r_start`; the bond length every step."""
    init_fn, apply_fn = nve(energy_fn, FreeSpace(), dt)

    def step(state, _):
        state = apply_fn(state)
        return state, jnp.linalg.norm(state.positions[1] - state.positions[0])

    state = init_fn(None, dimer(r_start), masses=jnp.asarray(masses))
    return jax.lax.scan(step, state, None, length=n_steps)[1]


def spectrum_peak(signal, dt):
    """`(omega_peak, omegas, power)`: the FFT peak of a signal, parabolic interpolation."""
    signal = np.asarray(signal) - np.mean(signal)
    window = np.hanning(len(signal))
    power = np.abs(np.fft.rfft(signal * window)) ** 2
    omegas = 2 * np.pi * np.fft.rfftfreq(len(signal), dt)
    k = int(np.argmax(power[1:])) + 1
    a, b, c = np.log(power[k - 1 : k + 2])
    offset = 0.5 * (a - c) / (a - 2 * b + c)
    return (k + offset) * (omegas[1] - omegas[0]), omegas, power


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    start = time.perf_counter()
    energy, masses = reference_curve(problem)
    mu = masses[0] * masses[1] / (masses[0] + masses[1])

    # minimum of the reference by golden-section refinement of a coarse grid
    coarse = np.linspace(1.5, 4.0, 251)
    r_min = float(coarse[np.argmin(energy(coarse))])
    lo, hi = r_min - 0.02, r_min + 0.02
    golden = (np.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = hi - golden * (hi - lo), lo + golden * (hi - lo)
        lo, hi = (lo, b) if energy(a)[0] < energy(b)[0] else (a, hi)
    r_min = 0.5 * (lo + hi)
    h = problem.fd_step
    e_m, e_0, e_p = energy(np.array([r_min - h, r_min, r_min + h]))
    curvature_ref = (e_p - 2 * e_0 + e_m) / h**2
    omega_ref = np.sqrt(curvature_ref / mu)

    r_data = np.linspace(
        r_min - problem.window_below, r_min + problem.window_above, problem.n_points
    )
    e_data = energy(r_data)
    depth0 = float(np.max(e_data) - np.min(e_data))

    def gauss(params, r):
        log_d, r0, log_w, c = params
        return -jnp.exp(log_d) * jnp.exp(-((r - r0) ** 2) / (2 * jnp.exp(2 * log_w))) + c

    def residuals(params, args):
        r, e = args
        return gauss(params, r) - e

    # initial guess: depth from the data span, width from the curvature of the minimum
    w0 = np.sqrt(2 * depth0 / curvature_ref)
    init = jnp.array([np.log(2 * depth0), r_min, np.log(w0), float(e_0) + 2 * depth0])
    solution = optx.least_squares(
        residuals,
        optx.LevenbergMarquardt(rtol=1e-10, atol=1e-12),
        init,
        args=(jnp.asarray(r_data), jnp.asarray(e_data)),
        max_steps=10_000,
    )
    log_d, r0, log_w, offset = (float(x) for x in solution.value)
    D, w = np.exp(log_d), np.exp(log_w)
    stiffness = D / w**2
    omega_fit = np.sqrt(stiffness / mu)
    fit_rmse = float(np.sqrt(np.mean(np.asarray(residuals(solution.value, (r_data, e_data))) ** 2)))

    # NVE on the fitted energy, from rest at r0 + amplitude
    bond = gaussian_bond(FreeSpace(), np.array([[0, 1]]), D=D, r0=r0, w=w)
    period = 2 * np.pi / omega_fit
    dt = float(period / problem.steps_per_period)
    n_steps = problem.steps_per_period * problem.periods
    lengths = jax.jit(nve_bond_lengths, static_argnums=(0, 3, 4))(
        bond, masses, r0 + problem.amplitude, dt, n_steps
    )
    omega_nve, omegas, power = spectrum_peak(lengths, dt)
    seconds = time.perf_counter() - start

    nu = {
        k: float(wavenumber(v))
        for k, v in {"fit": omega_fit, "reference": omega_ref, "nve": omega_nve}.items()
    }
    summary = {
        "reference": problem.reference
        if problem.reference == "morse"
        else f"emt_{problem.element}2",
        "r_min": r_min,
        "D": D,
        "r0": r0,
        "w": w,
        "bond_stiffness": stiffness,
        "fit_rmse": fit_rmse,
        "curvature_reference": float(curvature_ref),
        "reduced_mass": float(mu),
        "omega_fit": float(omega_fit),
        "omega_reference": float(omega_ref),
        "omega_nve": float(omega_nve),
        "wavenumber_fit_cm1": nu["fit"],
        "wavenumber_reference_cm1": nu["reference"],
        "wavenumber_nve_cm1": nu["nve"],
        "rel_diff_fit_vs_reference": abs(omega_fit - omega_ref) / omega_ref,
        "rel_diff_nve_vs_fit": abs(omega_nve - omega_fit) / omega_fit,
        "rel_diff_nve_vs_reference": abs(omega_nve - omega_ref) / omega_ref,
        "nve_dt": float(dt),
        "nve_steps": n_steps,
        "wall_time_s": seconds,
    }
    if problem.reference == "morse":
        summary["curvature_closed_form"] = 2 * problem.morse_depth * problem.morse_a**2
    if run is not None:
        r_plot = np.linspace(
            r_min - 1.5 * problem.window_below, r_min + 3 * problem.window_above, 200
        )
        e_ref_plot = energy(r_plot)
        e_fit_plot = np.asarray(gauss(solution.value, jnp.asarray(r_plot)))
        run.save_npz(
            "prediction",
            r=r_plot,
            reference=e_ref_plot,
            fit=e_fit_plot,
            r_data=r_data,
            e_data=e_data,
            bond_length=np.asarray(lengths),
        )
        run.save_figure(
            plot_bond_fit(
                r_plot,
                e_ref_plot,
                e_fit_plot,
                r_data=r_data,
                e_data=e_data,
                title=f"Gaussian well fit to {summary['reference']}",
            ),
            "fit",
        )
        keep = (omegas > 0) & (omegas < 3 * omega_fit)
        run.save_figure(
            plot_bond_spectrum(
                wavenumber(omegas[keep]),
                power[keep],
                {"fit sqrt(D/(w² mu))": nu["fit"], "reference sqrt(U''/mu)": nu["reference"]},
                title="bond-length spectrum of the NVE dimer",
            ),
            "spectrum",
        )
    return summary
