"""Experiment plumbing between the library and the `sciml` command.

The registry of `experiments/<name>.py` files, the recipes experiments share (fit a
PINN, score it on a reference grid, save its prediction), and finished runs as
artifacts (`load_run`, `predict`). Sits above every library layer, below `cli`.
"""

from ._artifacts import LoadedRun as LoadedRun
from ._artifacts import load_run as load_run
from ._artifacts import predict_file as predict_file
from ._artifacts import save_model as save_model
from ._registry import available_experiments as available_experiments
from ._registry import experiments_dir as experiments_dir
from ._registry import load_experiment as load_experiment
