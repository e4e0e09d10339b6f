"""optax training: pure steps, chunked `lax.scan` loops, checkpoints, resume, NaN guard."""

from ._atomic import atomic_write as atomic_write
from ._checkpoint import CorruptCheckpointWarning as CorruptCheckpointWarning
from ._checkpoint import list_checkpoints as list_checkpoints
from ._checkpoint import load_checkpoint as load_checkpoint
from ._checkpoint import save_checkpoint as save_checkpoint
from ._epochs import epoch_protocol as epoch_protocol
from ._epochs import seconds_per_epoch as seconds_per_epoch
from ._errors import DivergenceError as DivergenceError
from ._errors import NonFiniteLossError as NonFiniteLossError
from ._langevin import LangevinState as LangevinState
from ._langevin import psgld as psgld
from ._langevin import sgld as sgld
from ._loop import FitResult as FitResult
from ._loop import fit as fit
from ._optimizers import make_lbfgs as make_lbfgs
from ._optimizers import make_optimizer as make_optimizer
from ._optimizers import make_schedule as make_schedule
from ._pinn_weighting import FixedWeighting as FixedWeighting
from ._pinn_weighting import GradNormWeighting as GradNormWeighting
from ._pinn_weighting import NTKTraceWeighting as NTKTraceWeighting
from ._pure import train_pure as train_pure
from ._run_dir import RunDir as RunDir
from ._run_dir import TornMetricsWarning as TornMetricsWarning
from ._state import AbstractWeighting as AbstractWeighting
from ._state import TrainState as TrainState
from ._step import make_step as make_step
