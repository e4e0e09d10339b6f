"""ASE as the interface: `ase.Atoms` in and out, extended-XYZ trajectories through ASE.

Units are ASE's (eV, Angstrom, amu; time in Angstrom sqrt(amu/eV) = 10.18 fs) when the
numbers come from ASE; nothing here converts. `ase` is imported lazily so that importing
`sciml_jax.atoms` stays cheap.
"""

import io
import os
import warnings
from pathlib import Path
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from .._types import Array, Float
from ._space import AbstractSpace, FreeSpace, PeriodicSpace


class System(NamedTuple):
    """What `from_ase` returns; unpacks as `positions, space, numbers, masses`."""

    positions: Float[Array, "n 3"]
    space: AbstractSpace
    numbers: Array
    masses: Float[Array, " n"]


def _space_from_cell(cell, pbc) -> AbstractSpace:
    pbc = np.asarray(pbc, dtype=bool)
    if not pbc.any():
        return FreeSpace()
    if not pbc.all():
        raise ValueError(
            f"atoms.pbc is {pbc.tolist()}: mixed periodicity (a slab or a wire) is not "
            "supported; set atoms.pbc = True (add vacuum along the open directions) or False."
        )
    cell = np.asarray(cell, dtype=float)
    volume = abs(np.linalg.det(cell))
    scale = float(np.prod(np.linalg.norm(cell, axis=1)))
    if not np.all(np.isfinite(cell)) or scale == 0 or volume <= 1e-12 * scale:
        raise ValueError(
            f"the cell {cell.tolist()} is singular (volume {volume:g}) but pbc is True; "
            "give three linearly independent lattice vectors (atoms.set_cell) or pbc=False."
        )
    return PeriodicSpace(jnp.asarray(cell))


def from_ase(atoms) -> System:
    """`(positions, space, numbers, masses)` from an `ase.Atoms`.

    `space` is `FreeSpace()` when `atoms.pbc` is all False and `PeriodicSpace(cell)`
    (rows are lattice vectors, as `atoms.cell.array`) when all True; mixed periodicity
    and a singular periodic cell are refused. Positions are taken as they are (not
    wrapped). Arrays follow the current precision (enable float64 for exact copies).

    ```python
    from ase.build import bulk
    positions, space, numbers, masses = from_ase(bulk("Cu", "fcc", a=3.6).repeat(3))
    ```
    """
    positions = np.asarray(atoms.get_positions(), dtype=float)
    if not np.all(np.isfinite(positions)):
        bad = np.flatnonzero(~np.all(np.isfinite(positions), axis=1))
        raise ValueError(f"atoms have non-finite positions (atoms {bad[:10].tolist()}).")
    space = _space_from_cell(atoms.cell.array, atoms.pbc)
    return System(
        positions=jnp.asarray(positions),
        space=space,
        numbers=jnp.asarray(atoms.get_atomic_numbers()),
        masses=jnp.asarray(atoms.get_masses()),
    )


def to_ase(
    positions,
    space: AbstractSpace,
    numbers,
    *,
    masses=None,
    velocities=None,
    energy=None,
    forces=None,
    stress=None,
):
    """An `ase.Atoms` from our arrays; with `energy`/`forces`/`stress`, a
    `SinglePointCalculator` holding them (so `atoms.get_potential_energy()` works and
    `ase.io.write` stores them).

    `space` sets `cell` and `pbc` (`FreeSpace`: no cell, `pbc=False`). `velocities`, in
    ASE units, become momenta `m v`. `stress` is `(3, 3)` (or Voigt 6) in energy/volume.
    """
    from ase import Atoms
    from ase.calculators.singlepoint import SinglePointCalculator

    positions = np.asarray(positions, dtype=float)
    numbers = np.asarray(numbers)
    if positions.ndim != 2 or positions.shape[1] != 3:
        raise ValueError(f"positions have shape {positions.shape}; ASE needs (N, 3).")
    if numbers.shape != (positions.shape[0],):
        raise ValueError(
            f"numbers has shape {numbers.shape} but there are {positions.shape[0]} "
            "positions; give one atomic number per atom."
        )
    if isinstance(space, PeriodicSpace):
        atoms = Atoms(numbers=numbers, positions=positions, cell=np.asarray(space.cell), pbc=True)
    elif isinstance(space, FreeSpace):
        atoms = Atoms(numbers=numbers, positions=positions, pbc=False)
    else:
        raise ValueError(f"to_ase needs a FreeSpace or PeriodicSpace, got {type(space).__name__}.")
    if masses is not None:
        atoms.set_masses(np.asarray(masses, dtype=float))
    if velocities is not None:
        atoms.set_velocities(np.asarray(velocities, dtype=float))
    results = {}
    if energy is not None:
        results["energy"] = float(energy)
        results["free_energy"] = float(energy)
    if forces is not None:
        results["forces"] = np.asarray(forces, dtype=float)
    if stress is not None:
        results["stress"] = np.asarray(stress, dtype=float)
    if results:
        atoms.calc = SinglePointCalculator(atoms, **results)
    return atoms


class ExtXYZWriter:
    """Appends frames to an extended-XYZ file, one complete frame per `os.write`.

    Each frame is rendered by `ase.io.write(..., format="extxyz")` into memory (cell,
    pbc, positions, and the potential energy and forces as ASE's `SinglePointCalculator`
    writes them) and appended with a single write on a file opened `O_APPEND`, so a run
    killed between frames leaves only whole frames; `read_extxyz` drops a torn last
    frame should a kill land inside a write.

    **Arguments:** `path`; `numbers` `(N,)` atomic numbers; `append=False` truncates an
    existing file; `fsync=True` forces each frame to disk (slower, survives power loss).

    ```python
    with ExtXYZWriter("trajectory.extxyz", numbers) as writer:
        writer.write(positions, space, energy=e, forces=f, step=100)
    ```
    """

    def __init__(self, path, numbers, *, append: bool = False, fsync: bool = False):
        self.path = Path(path)
        self.numbers = np.asarray(numbers)
        self.fsync = fsync
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (0 if append else os.O_TRUNC)
        self._fd = os.open(self.path, flags, 0o644)

    def write(
        self,
        positions,
        space: AbstractSpace,
        *,
        energy=None,
        forces=None,
        stress=None,
        velocities=None,
        masses=None,
        **info,
    ) -> None:
        """Append one frame; `info` (e.g. `step=100`, `time=0.5`) goes to the comment line."""
        import ase.io

        if self._fd is None:
            raise ValueError(f"the writer for {self.path} is closed.")
        atoms = to_ase(
            positions,
            space,
            self.numbers,
            masses=masses,
            velocities=velocities,
            energy=energy,
            forces=forces,
            stress=stress,
        )
        atoms.info.update({k: (v.item() if hasattr(v, "item") else v) for k, v in info.items()})
        buffer = io.StringIO()
        ase.io.write(buffer, atoms, format="extxyz")
        data = buffer.getvalue().encode()
        written = os.write(self._fd, data)
        if written != len(data):
            raise OSError(f"short write to {self.path}: {written} of {len(data)} bytes.")
        if self.fsync:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_extxyz(path) -> list:
    """All complete frames of an extended-XYZ file as `ase.Atoms` (with their
    calculator results); a torn last frame (a killed writer) is dropped with a warning."""
    import ase.io

    text = Path(path).read_text()
    lines = text.splitlines(keepends=True)
    complete, k = 0, 0
    while k < len(lines):
        try:
            n = int(lines[k].strip())
        except ValueError:
            break
        end = k + 2 + n
        if end > len(lines) or (end == len(lines) and not lines[-1].endswith("\n")):
            break
        complete, k = end, end
    if complete < len(lines):
        warnings.warn(
            f"{path}: dropped a torn frame after line {complete} (a writer killed mid-frame).",
            stacklevel=2,
        )
    if complete == 0:
        return []
    return ase.io.read(io.StringIO("".join(lines[:complete])), index=":", format="extxyz")
