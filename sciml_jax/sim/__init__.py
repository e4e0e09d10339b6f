"""Differentiable simulators: spectral ETDRK and finite-difference steppers, elliptic
solves, diffrax ODEs and symplectic integrators, all pure functions of their inputs."""

from ..ops._spectral import make_grid as make_grid
from ._advection import Advection as Advection
from ._allen_cahn import AllenCahn as AllenCahn
from ._base import AbstractSpectralStepper as AbstractSpectralStepper
from ._burgers import Burgers as Burgers
from ._darcy import DarcySolver as DarcySolver
from ._diagnostics import compiled_memory_bytes as compiled_memory_bytes
from ._diagnostics import gradient_check as gradient_check
from ._diffusion import Diffusion as Diffusion
from ._etdrk import ETDRK as ETDRK
from ._etdrk import phi_functions as phi_functions
from ._gray_scott import GrayScott as GrayScott
from ._heat_finite_difference import HeatCrankNicolson as HeatCrankNicolson
from ._heat_finite_difference import HeatExplicit as HeatExplicit
from ._korteweg_de_vries import KortewegDeVries as KortewegDeVries
from ._kuramoto_sivashinsky import KuramotoSivashinsky as KuramotoSivashinsky
from ._method_of_lines import solve_method_of_lines as solve_method_of_lines
from ._method_of_lines import spectral_rhs as spectral_rhs
from ._navier_stokes import NavierStokesVorticity as NavierStokesVorticity
from ._navier_stokes import kolmogorov_forcing as kolmogorov_forcing
from ._neural_ode import NeuralODE as NeuralODE
from ._ode import solve_ode as solve_ode
from ._ode_systems import AbstractODESystem as AbstractODESystem
from ._ode_systems import DampedPendulum as DampedPendulum
from ._ode_systems import Kepler as Kepler
from ._ode_systems import Lorenz as Lorenz
from ._ode_systems import LotkaVolterra as LotkaVolterra
from ._ode_systems import Robertson as Robertson
from ._rollout import rollout as rollout
from ._rollout import rollout_final as rollout_final
from ._symplectic import Leapfrog as Leapfrog
from ._symplectic import RungeKutta4 as RungeKutta4
from ._symplectic import SymplecticEuler as SymplecticEuler
from ._symplectic import VelocityVerlet as VelocityVerlet
from ._symplectic import hamiltonian_vector_field as hamiltonian_vector_field
