"""Simulation-based inference: sbibm tasks in JAX, neural posterior estimation, C2ST, SBC;
score-based diffusion priors for fields."""

from ._diffusion import VPSDE as VPSDE
from ._diffusion import TimeConditioned as TimeConditioned
from ._diffusion import denoising_score_matching as denoising_score_matching
from ._diffusion import dsm_loss as dsm_loss
from ._diffusion import radial_power_spectrum as radial_power_spectrum
from ._diffusion import sample_probability_flow as sample_probability_flow
from ._diffusion import sample_reverse_sde as sample_reverse_sde
from ._diffusion import spectrum_errors as spectrum_errors
from ._epidemics import SIR as SIR
from ._epidemics import LotkaVolterraTask as LotkaVolterraTask
from ._fit import FitConfig as FitConfig
from ._fit import fit_conditional_flow as fit_conditional_flow
from ._gaussian_linear import GaussianLinear as GaussianLinear
from ._gaussian_linear import GaussianLinearUniform as GaussianLinearUniform
from ._gaussian_mixture import GaussianMixture as GaussianMixture
from ._metrics import c2st as c2st
from ._metrics import sbc_ranks as sbc_ranks
from ._metrics import sbc_uniformity as sbc_uniformity
from ._npe import NPEPosterior as NPEPosterior
from ._npe import fit_npe as fit_npe
from ._npe import make_flow as make_flow
from ._npe import simulate_for_sbi as simulate_for_sbi
from ._posterior_sampling import gaussian_log_likelihood as gaussian_log_likelihood
from ._posterior_sampling import sample_posterior_dps as sample_posterior_dps
from ._posterior_sampling import tweedie_error_variance as tweedie_error_variance
from ._registry import TASKS as TASKS
from ._registry import get_task as get_task
from ._sequential import fit_tsnpe as fit_tsnpe
from ._sequential import truncated_prior as truncated_prior
from ._slcp import SLCP as SLCP
from ._task import AbstractTask as AbstractTask
from ._two_moons import TwoMoons as TwoMoons
