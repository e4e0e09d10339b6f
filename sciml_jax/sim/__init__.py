"""Differentiable simulators: spectral ETDRK and finite-difference steppers, elliptic
solves, diffrax ODEs and symplectic integrators, all pure functions of their inputs."""

from ._allen_cahn import AllenCahn as AllenCahn
from ._base import AbstractSpectralStepper as AbstractSpectralStepper
from ._burgers import Burgers as Burgers
from ._etdrk import ETDRK as ETDRK
from ._etdrk import phi_functions as phi_functions
from ._kuramoto_sivashinsky import KuramotoSivashinsky as KuramotoSivashinsky
from ._rollout import rollout as rollout
from ._rollout import rollout_final as rollout_final
from ..ops._spectral import make_grid as make_grid
from ._advection import Advection as Advection
from ._diffusion import Diffusion as Diffusion
from ._gray_scott import GrayScott as GrayScott
from ._korteweg_de_vries import KortewegDeVries as KortewegDeVries
from ._navier_stokes import NavierStokesVorticity as NavierStokesVorticity
from ._navier_stokes import kolmogorov_forcing as kolmogorov_forcing
from ._heat_finite_difference import HeatCrankNicolson as HeatCrankNicolson
from ._heat_finite_difference import HeatExplicit as HeatExplicit
from ._darcy import DarcySolver as DarcySolver
