"""Learned interatomic potentials: energy/force/stress training on padded batches of
configurations, an ASE calculator, and potentials saved with a run and loaded back.

The networks live in `sciml_jax.nn` (SchNet, PaiNN, NequIP); a `Potential` wraps one
with per-species reference energies and a scale, and gives energies, forces (`-grad E`)
and stress (the strain derivative) that plug into `sciml_jax.sim`'s integrators and,
through `SciMLCalculator`, into ASE.
"""

from ._calculator import SciMLCalculator as SciMLCalculator
from ._crystal import equation_of_state as equation_of_state
from ._crystal import vacancy_formation_energy as vacancy_formation_energy
from ._files import load_potential as load_potential
from ._files import save_potential as save_potential
from ._graphs import AtomsGraphs as AtomsGraphs
from ._graphs import build_graphs as build_graphs
from ._potential import MODELS as MODELS
from ._potential import Potential as Potential
from ._potential import fit_reference_energies as fit_reference_energies
from ._potential import make_potential as make_potential
from ._potential import predict_batch as predict_batch
from ._potential import with_statistics as with_statistics
from ._training import energy_force_loss as energy_force_loss
from ._training import error_metrics as error_metrics
from ._training import predict_all as predict_all
from ._training import statistics_frozen as statistics_frozen
from ._training import train_potential as train_potential
