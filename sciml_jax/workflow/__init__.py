"""Experiment plumbing between the library and the `sciml` command.

The registry of `experiments/<name>.py` files, the recipes experiments share (fit a
PINN, score it on a reference grid, save its prediction), and finished runs as
artifacts (`load_run`, `predict`). Sits above every library layer, below `cli`.
"""

from ._artifacts import LoadedRun as LoadedRun
from ._artifacts import load_run as load_run
from ._artifacts import predict_file as predict_file
from ._artifacts import save_model as save_model
from ._emulator import evaluate_emulator as evaluate_emulator
from ._emulator import make_emulator as make_emulator
from ._emulator import projection_floor_nrmse as projection_floor_nrmse
from ._emulator import training_seconds as training_seconds
from ._experiment import experiment_config as experiment_config
from ._experiment import timed as timed
from ._inverse import TrainableField as TrainableField
from ._inverse import fit_checked as fit_checked
from ._inverse import gradient_memory as gradient_memory
from ._operator import EpochProtocolConfig as EpochProtocolConfig
from ._operator import NormalizedOperator as NormalizedOperator
from ._operator import OperatorOnGrid as OperatorOnGrid
from ._operator import WindowRollout as WindowRollout
from ._operator import batched_rel_l2 as batched_rel_l2
from ._operator import fit_epochs as fit_epochs
from ._operator import fit_operator as fit_operator
from ._operator import fno_from_config as fno_from_config
from ._operator import identity_normalizer as identity_normalizer
from ._operator import mean_rel_l2 as mean_rel_l2
from ._operator import normalizer_template as normalizer_template
from ._operator import operator_artifact as operator_artifact
from ._operator import protocol_summary as protocol_summary
from ._operator import save_prediction as save_prediction
from ._operator import split as split
from ._pinn import POINTS as POINTS
from ._pinn import NetworkConfig as NetworkConfig
from ._pinn import PinnFit as PinnFit
from ._pinn import ReferenceGrid as ReferenceGrid
from ._pinn import allen_cahn_reference as allen_cahn_reference
from ._pinn import burgers_reference as burgers_reference
from ._pinn import causal_residual_only as causal_residual_only
from ._pinn import check_causal_slabs as check_causal_slabs
from ._pinn import collocation as collocation
from ._pinn import fit_pinn as fit_pinn
from ._pinn import grid_points as grid_points
from ._pinn import mlp_from_config as mlp_from_config
from ._pinn import pinn_artifact as pinn_artifact
from ._pinn import points_input_shape as points_input_shape
from ._pinn import predict_columns as predict_columns
from ._pinn import predict_points as predict_points
from ._pinn import residual_only as residual_only
from ._pinn import save_curves as save_curves
from ._registry import available_experiments as available_experiments
from ._registry import experiments_dir as experiments_dir
from ._registry import load_experiment as load_experiment
from ._transfer import best_point as best_point
from ._transfer import steps_to_error as steps_to_error
from ._transfer import sub_run as sub_run
from ._transfer import transfer_scores as transfer_scores
