"""Copper configurations labelled by ASE's EMT calculator, generated in code and cached.

EMT (effective-medium theory, Jacobsen, Stoltze and Norskov, Surf. Sci. 366, 394 (1996)) is
a published many-body potential for FCC metals shipped with ASE as
`ase.calculators.emt.EMT`; here it is the "truth" a learned potential is trained on. All
configurations start from the cubic 108-atom supercell
`ase.build.bulk("Cu", "fcc", a=3.61, cubic=True).repeat((3, 3, 3))`:

- `fcc`: the perfect lattice on an isotropic volume grid `V / V0` in `1 -+ volume_range`
  (the middle point is a = 3.61 A); every force is zero by symmetry, the energies are an
  E(V) curve.
- `strained`: random cells `h' = h (I + eps)`, `eps` symmetric: a volumetric part
  `e I` with `(1 + e)^3` uniform in `1 -+ volume_range`, plus shear components uniform in
  `-+ max_shear` (which change the volume only at second order); atoms then rattled by
  `N(0, rattle^2)` per coordinate.
- `vacancy`: one atom removed (107 atoms): the ideal vacancy, the vacancy relaxed by BFGS
  with EMT (`fmax` 0.01 eV/A), then rattled copies.
- `md300`, `md600`, ...: frames of Langevin MD (ASE's `Langevin`, EMT forces) at each
  temperature, started from the perfect lattice with Maxwell-Boltzmann momenta, after
  `md_equilibration_steps`, one frame every `md_frame_interval_steps`.

Labels are EMT's energy (eV, relative to EMT's isolated-atom reference, so the perfect
crystal at a = 3.61 A is about -0.006 eV/atom), forces (eV/A) and the full 3x3 stress
(eV/A^3) in ASE's sign convention: `stress = (1/V) dE/d(eps)` for a homogeneous strain
`eps`, positive under tension (a stretched cell pulls inward), pressure `P = -tr(stress)/3`,
potential part only (no kinetic term for MD frames). Positions are Cartesian and may lie
outside the cell for MD frames (periodic images; wrap them if needed).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ._cache import cached_dataset

__all__ = ["EMTCopper", "emt_copper_dataset", "emt_copper_split"]

_FORMAT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class EMTCopper:
    """Labelled copper configurations, padded to `n_max` atom slots (`m` configurations).

    - `positions`: `(m, n_max, 3)` A; `cells`: `(m, 3, 3)` A, rows are the cell vectors.
    - `atomic_numbers`: `(m, n_max)` int, 29 for copper, 0 in padding slots.
    - `node_mask`: `(m, n_max)` bool, True for real atoms.
    - `energy`: `(m,)` eV; `forces`: `(m, n_max, 3)` eV/A (0 in padding);
      `stress`: `(m, 3, 3)` eV/A^3, ASE's convention (positive under tension).
    - `kind`: `(m,)` str, `"fcc"`, `"strained"`, `"vacancy"` or `"md<T>"`.
    - `temperature`: `(m,)` K of the MD thermostat, 0 for static configurations.
    """

    positions: np.ndarray
    cells: np.ndarray
    atomic_numbers: np.ndarray
    node_mask: np.ndarray
    energy: np.ndarray
    forces: np.ndarray
    stress: np.ndarray
    kind: np.ndarray
    temperature: np.ndarray

    def __len__(self) -> int:
        return int(self.energy.shape[0])

    @property
    def n_atoms(self) -> np.ndarray:
        """`(m,)` int, the number of real atoms per configuration."""
        return self.node_mask.sum(1)

    def take(self, rows) -> EMTCopper:
        """The configurations at `rows` (e.g. `emt_copper_split(cu)["train"]`)."""
        rows = np.asarray(rows)
        return EMTCopper(**{f.name: getattr(self, f.name)[rows] for f in dataclasses.fields(self)})

    def to_ase(self, row: int):
        """Configuration `row` as a periodic `ase.Atoms` (no calculator attached)."""
        from ase import Atoms

        mask = self.node_mask[row]
        return Atoms(
            numbers=self.atomic_numbers[row][mask],
            positions=self.positions[row][mask],
            cell=self.cells[row],
            pbc=True,
        )


def _supercell(lattice_constant: float, repeat: int):
    from ase.build import bulk

    return bulk("Cu", "fcc", a=lattice_constant, cubic=True).repeat((repeat,) * 3)


def _label(atoms, kind: str, temperature: float) -> dict:
    from ase.calculators.emt import EMT

    if atoms.calc is None:
        atoms.calc = EMT()
    return {
        "positions": atoms.get_positions(),
        "cell": np.asarray(atoms.get_cell()),
        "numbers": atoms.get_atomic_numbers(),
        "energy": atoms.get_potential_energy(),
        # FixCom during MD projects the forces; the labels are EMT's own.
        "forces": atoms.get_forces(apply_constraint=False),
        "stress": atoms.get_stress(voigt=False),
        "kind": kind,
        "temperature": float(temperature),
    }


def _static(recipe: dict) -> list[dict]:
    from ase.calculators.emt import EMT
    from ase.optimize import BFGS

    a, repeat, span = recipe["lattice_constant"], recipe["repeat"], recipe["volume_range"]
    frames = []
    n_fcc = recipe["n_fcc"]
    volumes = np.linspace(1 - span, 1 + span, n_fcc) if n_fcc > 1 else np.ones(1)
    for v in volumes:
        frames.append(_label(_supercell(a * v ** (1 / 3), repeat), "fcc", 0.0))

    rng = np.random.default_rng([recipe["seed"], 1])
    for _ in range(recipe["n_strained"]):
        atoms = _supercell(a, repeat)
        volumetric = rng.uniform(1 - span, 1 + span) ** (1 / 3) - 1
        shear = rng.uniform(-recipe["max_shear"], recipe["max_shear"], 3)
        eps = volumetric * np.eye(3)
        eps[0, 1] = eps[1, 0] = shear[0]
        eps[0, 2] = eps[2, 0] = shear[1]
        eps[1, 2] = eps[2, 1] = shear[2]
        atoms.set_cell(np.asarray(atoms.get_cell()) @ (np.eye(3) + eps), scale_atoms=True)
        atoms.positions += rng.normal(0.0, recipe["rattle"], atoms.positions.shape)
        frames.append(_label(atoms, "strained", 0.0))

    rng = np.random.default_rng([recipe["seed"], 2])
    n_vacancy = recipe["n_vacancy"]
    if n_vacancy >= 1:
        ideal = _supercell(a, repeat)
        del ideal[0]
        frames.append(_label(ideal.copy(), "vacancy", 0.0))
    if n_vacancy >= 2:
        relaxed = ideal.copy()
        relaxed.calc = EMT()
        BFGS(relaxed, logfile=None).run(fmax=0.01, steps=200)
        frames.append(_label(relaxed, "vacancy", 0.0))
        for _ in range(n_vacancy - 2):
            atoms = relaxed.copy()
            atoms.positions += rng.normal(0.0, recipe["rattle"], atoms.positions.shape)
            frames.append(_label(atoms, "vacancy", 0.0))
    return frames


def _molecular_dynamics(recipe: dict, temperature: float) -> list[dict]:
    from ase import units
    from ase.calculators.emt import EMT
    from ase.constraints import FixCom
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import Stationary, thermalize_momenta

    rng = np.random.default_rng([recipe["seed"], 3, int(round(temperature))])
    atoms = _supercell(recipe["lattice_constant"], recipe["repeat"])
    atoms.calc = EMT()
    thermalize_momenta(atoms, temperature, rng=rng)
    Stationary(atoms)
    atoms.set_constraint(FixCom())
    dynamics = Langevin(
        atoms,
        recipe["timestep_fs"] * units.fs,
        temperature_K=temperature,
        friction=recipe["friction_per_fs"] / units.fs,
        fixcm=False,  # FixCom instead, as ASE recommends
        rng=rng,
    )
    dynamics.run(recipe["md_equilibration_steps"])
    frames = []
    for _ in range(recipe["n_md_frames_per_temperature"]):
        dynamics.run(recipe["md_frame_interval_steps"])
        frames.append(_label(atoms, f"md{int(round(temperature))}", temperature))
    return frames


def _build(recipe: dict) -> dict[str, np.ndarray]:
    frames = _static(recipe)
    for temperature in recipe["temperatures"]:
        frames += _molecular_dynamics(recipe, temperature)
    m = len(frames)
    n_max = max(len(f["numbers"]) for f in frames)
    out = {
        "positions": np.zeros((m, n_max, 3)),
        "cells": np.stack([f["cell"] for f in frames]),
        "atomic_numbers": np.zeros((m, n_max), np.int32),
        "node_mask": np.zeros((m, n_max), bool),
        "energy": np.array([f["energy"] for f in frames]),
        "forces": np.zeros((m, n_max, 3)),
        "stress": np.stack([f["stress"] for f in frames]),
        "kind": np.array([f["kind"] for f in frames]),
        "temperature": np.array([f["temperature"] for f in frames]),
    }
    for i, f in enumerate(frames):
        n = len(f["numbers"])
        out["positions"][i, :n] = f["positions"]
        out["atomic_numbers"][i, :n] = f["numbers"]
        out["node_mask"][i, :n] = True
        out["forces"][i, :n] = f["forces"]
    return out


def emt_copper_dataset(
    n_md_frames_per_temperature: int = 40,
    *,
    temperatures: tuple[float, ...] = (300.0, 600.0, 900.0, 1200.0, 1500.0),
    md_frame_interval_steps: int = 10,
    md_equilibration_steps: int = 100,
    timestep_fs: float = 5.0,
    friction_per_fs: float = 0.02,
    n_fcc: int = 7,
    n_strained: int = 20,
    n_vacancy: int = 5,
    volume_range: float = 0.03,
    max_shear: float = 0.02,
    rattle: float = 0.03,
    repeat: int = 3,
    lattice_constant: float = 3.61,
    seed: int = 0,
    cache_dir: str | Path | None = None,
) -> EMTCopper:
    """Copper configurations labelled with EMT energies, forces and stresses (see module doc).

    **Arguments:**

    - `n_md_frames_per_temperature`: frames kept from each Langevin run.
    - `temperatures`: thermostat temperatures (K), one run each.
    - `md_frame_interval_steps`, `md_equilibration_steps`, `timestep_fs`,
      `friction_per_fs`: the Langevin runs (defaults: 5 fs steps, a frame every 50 fs
      after 0.5 ps; friction 0.02/fs, so momenta decorrelate in ~50 fs).
    - `n_fcc`, `n_strained`, `n_vacancy`: static configurations of each kind.
    - `volume_range`, `max_shear`, `rattle`: strains (`V/V0` in `1 -+ volume_range`),
      shear components and atomic displacements (A, standard deviation).
    - `repeat`: the cubic 4-atom cell repeated `repeat` times per axis (3: 108 atoms).
    - `lattice_constant`: A, of the unstrained lattice (EMT's own minimum is 3.59 A).
    - `seed`: every random draw (strains, rattles, momenta, Langevin noise).
    - `cache_dir`: where the arrays are cached (default `default_cache_dir()`).

    **Returns:** an `EMTCopper` dataclass. The defaults give 232 configurations in about a
    minute of EMT on one CPU core, once; later calls load the cache.

    **Example:**

    ```python
    cu = data.emt_copper_dataset()
    split = data.emt_copper_split(cu)
    train, test = cu.take(split["train"]), cu.take(split["test"])
    ```
    """
    counts = {
        "n_md_frames_per_temperature": n_md_frames_per_temperature,
        "md_frame_interval_steps": md_frame_interval_steps,
        "md_equilibration_steps": md_equilibration_steps,
        "n_fcc": n_fcc,
        "n_strained": n_strained,
        "n_vacancy": n_vacancy,
    }
    for name, value in counts.items():
        if not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"emt_copper_dataset: {name} must be an int >= 0, got {value!r}.")
    if not isinstance(repeat, int) or repeat < 2:
        raise ValueError(
            f"emt_copper_dataset: repeat must be an int >= 2 (EMT's cutoff needs at least "
            f"a 7.2 A cell), got {repeat!r}."
        )
    if not 0.0 <= volume_range < 0.5:
        raise ValueError(
            f"emt_copper_dataset: volume_range must be in [0, 0.5), got {volume_range}."
        )
    if any(t <= 0 for t in temperatures):
        raise ValueError(f"emt_copper_dataset: temperatures must be > 0 K, got {temperatures}.")
    import ase

    recipe = {
        "name": "emt_copper",
        "version": _FORMAT_VERSION,
        "ase": ase.__version__,
        **{k: int(v) for k, v in counts.items()},
        "temperatures": [float(t) for t in temperatures],
        "timestep_fs": float(timestep_fs),
        "friction_per_fs": float(friction_per_fs),
        "volume_range": float(volume_range),
        "max_shear": float(max_shear),
        "rattle": float(rattle),
        "repeat": int(repeat),
        "lattice_constant": float(lattice_constant),
        "seed": int(seed),
    }
    arrays = cached_dataset(recipe, lambda: _build(recipe), cache_dir=cache_dir)
    return EMTCopper(**{f.name: arrays[f.name] for f in dataclasses.fields(EMTCopper)})


def emt_copper_split(
    dataset: EMTCopper, *, seed: int = 0, test_fraction: float = 0.2
) -> dict[str, np.ndarray]:
    """Held-out configurations, stratified by `kind`.

    Each kind contributes `round(test_fraction * count)` configurations to the test set
    (none if it has a single member, which stays in training). Static kinds are drawn at
    random (seeded); an MD kind holds out the *last* frames of its trajectory, a contiguous
    block in time, so a test frame is never one frame interval from a training frame on
    both sides.

    **Returns:** `{"train", "test"}` sorted int64 row arrays, disjoint, covering every row.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(
            f"emt_copper_split: test_fraction must be in (0, 1), got {test_fraction}; "
            "0.2 holds out a fifth of each kind."
        )
    rng = np.random.default_rng(seed)
    train, test = [], []
    for kind in sorted(set(dataset.kind.tolist())):
        rows = np.flatnonzero(dataset.kind == kind)
        n_test = int(round(test_fraction * len(rows))) if len(rows) > 1 else 0
        n_test = min(n_test, len(rows) - 1)
        if not kind.startswith("md"):
            rows = rng.permutation(rows)
        test.append(rows[len(rows) - n_test :])
        train.append(rows[: len(rows) - n_test])
    return {"train": np.sort(np.concatenate(train)), "test": np.sort(np.concatenate(test))}
