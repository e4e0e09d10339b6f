"""Differentiable simulators: spectral ETDRK and finite-difference steppers, elliptic
solves, diffrax ODEs and symplectic integrators, all pure functions of their inputs.

Grouped by method: `spectral/` (periodic pseudo-spectral ETDRK steppers), `grid/`
(finite differences and elliptic solves), `ode/` (diffrax ODEs, method of lines,
symplectic integrators), `md/` (molecular dynamics: NVE, Langevin NVT, FIRE and
the chunked `simulate` driver); `rollout` drives any stepper. Import from `sciml_jax.sim`."""

from ._rollout import rollout as rollout
from ._rollout import rollout_average as rollout_average
from ._rollout import rollout_final as rollout_final
from .grid._darcy import DarcySolver as DarcySolver
from .grid._diffusion_reaction import DiffusionReactionStepper as DiffusionReactionStepper
from .grid._diffusion_reaction import solve_diffusion_reaction as solve_diffusion_reaction
from .grid._heat_finite_difference import HeatCrankNicolson as HeatCrankNicolson
from .grid._heat_finite_difference import HeatExplicit as HeatExplicit
from .md._driver import simulate as simulate
from .md._fire import FireState as FireState
from .md._fire import fire_descent as fire_descent
from .md._langevin import nvt_langevin as nvt_langevin
from .md._nve import nve as nve
from .md._state import MDState as MDState
from .md._state import maxwell_boltzmann as maxwell_boltzmann
from .ode._method_of_lines import solve_method_of_lines as solve_method_of_lines
from .ode._method_of_lines import spectral_rhs as spectral_rhs
from .ode._neural_ode import NeuralODE as NeuralODE
from .ode._ode import SolverName as SolverName
from .ode._ode import solve_ode as solve_ode
from .ode._ode_systems import AbstractODESystem as AbstractODESystem
from .ode._ode_systems import DampedPendulum as DampedPendulum
from .ode._ode_systems import Kepler as Kepler
from .ode._ode_systems import Lorenz as Lorenz
from .ode._ode_systems import LotkaVolterra as LotkaVolterra
from .ode._ode_systems import Robertson as Robertson
from .ode._ode_systems import invariant_errors as invariant_errors
from .ode._symplectic import Leapfrog as Leapfrog
from .ode._symplectic import RungeKutta4 as RungeKutta4
from .ode._symplectic import SymplecticEuler as SymplecticEuler
from .ode._symplectic import VelocityVerlet as VelocityVerlet
from .ode._symplectic import energy_error_per_period as energy_error_per_period
from .ode._symplectic import hamiltonian_vector_field as hamiltonian_vector_field
from .ode._symplectic import solve_semi_implicit_euler as solve_semi_implicit_euler
from .spectral._advection import Advection as Advection
from .spectral._allen_cahn import AllenCahnStepper as AllenCahnStepper
from .spectral._base import AbstractSpectralStepper as AbstractSpectralStepper
from .spectral._burgers import BurgersStepper as BurgersStepper
from .spectral._diffusion import Diffusion as Diffusion
from .spectral._etdrk import ETDRK as ETDRK
from .spectral._etdrk import phi_functions as phi_functions
from .spectral._gray_scott import GrayScott as GrayScott
from .spectral._korteweg_de_vries import KortewegDeVries as KortewegDeVries
from .spectral._kuramoto_sivashinsky import KuramotoSivashinsky as KuramotoSivashinsky
from .spectral._navier_stokes import NavierStokesVorticity as NavierStokesVorticity
from .spectral._navier_stokes import kolmogorov_forcing as kolmogorov_forcing
