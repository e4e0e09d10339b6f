"""Crystal properties through ASE's own tools, for any calculator: the same code scores a
learned potential and the reference it learned from.

- Lattice constant and bulk modulus from an energy-volume scan of the conventional cubic
  cell fitted by the Birch-Murnaghan equation of state (`ase.eos.EquationOfState`):

  $$ E(V) = E_0 + \\frac{9 V_0 B_0}{16} \\Big\\{ \\big[(V_0/V)^{2/3} - 1\\big]^3 B_0'
     + \\big[(V_0/V)^{2/3} - 1\\big]^2 \\big[6 - 4 (V_0/V)^{2/3}\\big] \\Big\\} $$

- Vacancy formation energy at that lattice constant, both cells relaxed at fixed cell
  (`ase.optimize.BFGS`): `E_f = E(N - 1) - (N - 1)/N E(N)`.
"""

import numpy as np
from ase.build import bulk
from ase.eos import EquationOfState
from ase.optimize import BFGS
from ase.units import GPa


def equation_of_state(
    calculator,
    symbol: str,
    a_guess: float,
    *,
    strain: float = 0.02,
    points: int = 9,
    structure: str = "fcc",
) -> dict:
    """Lattice constant (Å), bulk modulus (GPa) and the scan itself, by Birch-Murnaghan."""
    volumes, energies = [], []
    for a in a_guess * np.linspace(1 - strain, 1 + strain, points):
        atoms = bulk(symbol, structure, a=a, cubic=True)
        atoms.calc = calculator
        volumes.append(atoms.get_volume())
        energies.append(atoms.get_potential_energy())
    eos = EquationOfState(volumes, energies, eos="birchmurnaghan")
    v0, e0, b0 = eos.fit()
    n_atoms = len(bulk(symbol, structure, a=a_guess, cubic=True))
    cubic_edge = v0 ** (1.0 / 3.0)
    return {
        "lattice_constant_A": float(cubic_edge),
        "bulk_modulus_GPa": float(b0 / GPa),
        "cohesive_energy_eV_per_atom": float(e0 / n_atoms),
        "volumes_A3": np.asarray(volumes),
        "energies_eV": np.asarray(energies),
    }


def vacancy_formation_energy(
    calculator,
    symbol: str,
    lattice_constant: float,
    *,
    repeat: int = 3,
    fmax: float = 0.01,
    structure: str = "fcc",
    max_steps: int = 200,
) -> float:
    """`E(N-1) - (N-1)/N E(N)` in eV, both relaxed at the fixed cell to `fmax` eV/Å."""
    perfect = bulk(symbol, structure, a=lattice_constant, cubic=True).repeat(repeat)
    perfect.calc = calculator
    e_perfect = perfect.get_potential_energy()
    defect = perfect.copy()
    del defect[0]
    defect.calc = calculator
    BFGS(defect, logfile=None).run(fmax=fmax, steps=max_steps)
    n = len(perfect)
    return float(defect.get_potential_energy() - (n - 1) / n * e_perfect)
