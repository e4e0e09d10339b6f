"""Every config shipped in configs/ parses against its experiment's schema.

A renamed field or a typo in a YAML file would otherwise surface only when someone runs
that (often hours-long) config.
"""

from pathlib import Path

import pytest

from sciml_jax.config import load_yaml, parse_config
from sciml_jax.workflow import load_experiment

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))


def test_there_are_configs_to_check():
    assert len(CONFIGS) >= 20, CONFIGS


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.stem)
def test_shipped_config_parses(path):
    data = load_yaml(path)
    experiment = load_experiment(data["experiment"], source=str(path))
    config = parse_config(experiment.Config, data, source=str(path))
    assert config.experiment == data["experiment"]
