"""A learned potential as an ASE calculator, so ASE's optimisers, equation-of-state fits,
phonons and MD drivers run on it unchanged.

```python
from ase.build import bulk
from sciml_jax.potentials import SciMLCalculator

atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(3)
atoms.calc = SciMLCalculator.from_run("runs/emt_cu_potential/emt_cu_potential")
atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()
```

Each call builds the full neighbour list on the host for the positions given (the
calculator cannot know how far atoms will move before the next call) and evaluates one
jitted energy/forces/stress function. The list's capacity only grows, by a margin, so a
scan over volumes or a relaxation compiles once or twice, not at every call.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from ase.calculators.calculator import Calculator, PropertyNotImplementedError, all_changes

from ..atoms import FreeSpace, PeriodicSpace
from ..atoms import stress as virial_stress
from ._files import load_potential
from ._graphs import build_graphs
from ._potential import Potential

_VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


@eqx.filter_jit
def _evaluate(potential: Potential, species, positions, cell, neighbors, periodic: bool):
    space = PeriodicSpace(cell) if periodic else FreeSpace()
    energy_fn = potential.energy_fn(species, space)
    energy, gradient = jax.value_and_grad(energy_fn)(positions, neighbors)
    out = {
        "energy": energy,
        "energies": potential.atom_energies(species, positions, neighbors, space),
        "forces": -gradient,
    }
    if periodic:
        out["stress"] = virial_stress(energy_fn, space, positions, neighbors)
    return out


class SciMLCalculator(Calculator):
    """ASE calculator for a `sciml_jax.potentials.Potential`.

    Properties: `energy` (= `free_energy`), per-atom `energies`, `forces` and, for
    fully periodic cells, `stress` (Voigt order xx yy zz yz xz xy, eV/Å^3, ASE's sign).
    Cells must be periodic in all three directions or in none.
    """

    implemented_properties = ["energy", "free_energy", "energies", "forces", "stress"]

    def __init__(self, potential: Potential, *, capacity_multiplier: float = 1.25, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(potential, Potential):
            raise TypeError(
                f"SciMLCalculator takes a sciml_jax.potentials.Potential, got "
                f"{type(potential).__name__}; load one with SciMLCalculator.from_run(run_dir)."
            )
        self.potential = potential
        self.capacity_multiplier = float(capacity_multiplier)
        self._capacity = 0

    @classmethod
    def from_run(cls, run_dir, **kwargs) -> "SciMLCalculator":
        """The potential saved by a finished run (its `potential.json` and `.eqx`)."""
        potential, _ = load_potential(run_dir)
        return cls(potential, **kwargs)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        pbc = np.asarray(atoms.pbc, bool)
        if pbc.any() and not pbc.all():
            raise ValueError(
                f"atoms.pbc = {pbc.tolist()}: SciMLCalculator handles fully periodic cells or "
                "free molecules; set pbc to True or False in all directions."
            )
        periodic = bool(pbc.all())
        if "stress" in properties and not periodic:
            raise PropertyNotImplementedError("stress needs a periodic cell (atoms.pbc all True)")
        graphs = self._graph(atoms, periodic)
        dtype = self.potential.scale.dtype
        out = _evaluate(
            self.potential,
            graphs.species[0],
            graphs.positions[0].astype(dtype),
            graphs.cells[0].astype(dtype),
            jax.tree.map(lambda a: a[0], graphs.neighbors),
            periodic,
        )
        out = {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}
        self.results = {
            "energy": float(out["energy"]),
            "free_energy": float(out["energy"]),
            "energies": out["energies"],
            "forces": out["forces"],
        }
        if periodic:
            self.results["stress"] = np.array([out["stress"][a, b] for a, b in _VOIGT])

    def _graph(self, atoms, periodic: bool):
        species = self.potential.species_of(atoms.numbers)[None]
        positions = atoms.get_positions()[None]
        cells = np.asarray(atoms.cell.array)[None] if periodic else None
        mask = np.ones(species.shape, bool)
        build = lambda capacity: build_graphs(
            positions, species, mask, self.potential.cutoff, cells=cells, capacity=capacity
        )
        if self._capacity:
            try:
                return build(self._capacity)
            except ValueError:  # more pairs than the current capacity: grow it below
                pass
        count = int(jnp.max(build(None).neighbors.count))
        self._capacity = int(np.ceil(count * self.capacity_multiplier / 64) * 64)
        return build(self._capacity)
