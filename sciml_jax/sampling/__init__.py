"""Samplers: how a training batch is drawn inside the jitted loop, every step.

One home for them all, below `train` (which only knows `AbstractSampler`): collocation
points on domains (uniform, Latin hypercube, Sobol, residual-adaptive), minibatches of a
stored dataset, and windows of trajectories for autoregressive emulators.
"""

from ._base import AbstractSampler as AbstractSampler
from ._collocation import CollocationSampler as CollocationSampler
from ._collocation import latin_hypercube as latin_hypercube
from ._collocation import rad_select as rad_select
from ._collocation import rar_refine as rar_refine
from ._collocation import sobol_points as sobol_points
from ._collocation import unit_points as unit_points
from ._datasets import MinibatchSampler as MinibatchSampler
from ._datasets import TrajectorySampler as TrajectorySampler
from ._datasets import curriculum_horizon as curriculum_horizon
