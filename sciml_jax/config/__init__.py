"""Typed, frozen configuration loaded from YAML."""

from ._errors import ConfigError as ConfigError
from ._load import apply_overrides as apply_overrides
from ._load import load_yaml as load_yaml
from ._parse import config_to_dict as config_to_dict
from ._parse import parse_config as parse_config
from ._run_config import OptimizerConfig as OptimizerConfig
from ._run_config import RunConfig as RunConfig
from ._run_config import ScheduleConfig as ScheduleConfig
from ._run_config import TrainConfig as TrainConfig
from ._spec import spec as spec
