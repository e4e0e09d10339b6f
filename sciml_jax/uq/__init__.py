"""Uncertainty quantification: ensembles, heteroscedastic heads, MC dropout and Langevin
sampling."""

from ..train import psgld as psgld
from ..train import sgld as sgld
from ._ensemble import Ensemble as Ensemble
from ._ensemble import MixturePrediction as MixturePrediction
from ._ensemble import ensemble_loss as ensemble_loss
from ._ensemble import ensemble_predict as ensemble_predict
from ._ensemble import mixture_moments as mixture_moments
from ._heteroscedastic import GaussianHead as GaussianHead
from ._heteroscedastic import mc_dropout_predict as mc_dropout_predict
from ._langevin import LangevinState as LangevinState
from ._langevin import boltzmann_ratio as boltzmann_ratio
from ._langevin import double_well as double_well
from ._langevin import escape_rate as escape_rate
from ._langevin import first_passage_times as first_passage_times
from ._langevin import kramers_rate as kramers_rate
from ._langevin import mean_first_passage_time as mean_first_passage_time
from ._langevin import overdamped_langevin as overdamped_langevin
from ._langevin import sample_posterior as sample_posterior
