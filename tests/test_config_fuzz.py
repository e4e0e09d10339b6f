"""Bad configs of every kind stop before any compute with one clean line, never a traceback."""

import contextlib
import io
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sciml_jax.cli import main

BASE = {
    "experiment": "regression",
    "seed": 0,
    "precision": "float32",
    "output_dir": "UNUSED",
    "model": {"backend": "equinox", "width": 8, "depth": 1},
    "data": {"num_train": 16, "num_test": 16, "noise": 0.01},
    "train": {
        "steps": 10,
        "chunk_size": 5,
        "checkpoint_every": 10,
        "optimizer": {"name": "adam", "learning_rate": 1e-3, "schedule": {"name": "constant"}},
    },
}
INT_KEYS = [
    ("seed",),
    ("model", "width"),
    ("model", "depth"),
    ("data", "num_train"),
    ("train", "steps"),
    ("train", "chunk_size"),
    ("train", "keep_last"),
]
FLOAT_KEYS = [
    ("data", "noise"),
    ("train", "optimizer", "learning_rate"),
    ("train", "optimizer", "b1"),
]
CHOICE_KEYS = [
    ("precision",),
    ("model", "backend"),
    ("train", "optimizer", "name"),
    ("train", "optimizer", "schedule", "name"),
]
SECTION_KEYS = [("model",), ("data",), ("train",), ("train", "optimizer")]
# Values below each bound (all of them invalid for the key they are paired with).
OUT_OF_RANGE = {
    ("seed",): st.integers(max_value=-1),
    ("model", "width"): st.integers(max_value=0),
    ("train", "steps"): st.integers(max_value=-1),
    ("train", "chunk_size"): st.integers(max_value=0),
    ("data", "noise"): st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False),
    ("train", "optimizer", "learning_rate"): st.floats(
        max_value=0.0, allow_nan=False, allow_infinity=False
    ),
    ("train", "optimizer", "b2"): st.floats(min_value=1.0, allow_nan=False, allow_infinity=False),
}
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
not_a_number = words.filter(lambda w: w not in {"inf", "nan", "infinity"})


def with_value(path, value):
    config = yaml.safe_load(yaml.safe_dump(BASE))
    node = config
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return config


def section_paths(config, prefix=()):
    yield prefix
    for key, value in config.items():
        if isinstance(value, dict):
            yield from section_paths(value, prefix + (key,))


unknown_key = st.tuples(st.sampled_from(list(section_paths(BASE))), words).map(
    lambda pair: with_value(pair[0] + ("zz_" + pair[1],), 1)
)
wrong_int = st.tuples(
    st.sampled_from(INT_KEYS),
    st.one_of(
        not_a_number,
        st.floats(allow_nan=False).filter(lambda f: f != int(f) if abs(f) < 1e15 else True),
        st.lists(st.integers(), max_size=2),
        st.booleans(),
    ),
).map(lambda pair: with_value(*pair))
wrong_float = st.tuples(
    st.sampled_from(FLOAT_KEYS),
    st.one_of(not_a_number, st.booleans(), st.lists(st.floats(), max_size=2)),
).map(lambda pair: with_value(*pair))
bad_choice = st.tuples(
    st.sampled_from(CHOICE_KEYS), st.one_of(words.map(lambda w: "x" + w), st.integers())
).map(lambda pair: with_value(*pair))
bad_section = st.tuples(
    st.sampled_from(SECTION_KEYS),
    st.one_of(st.integers(), words, st.lists(st.integers(), max_size=2)),
).map(lambda pair: with_value(*pair))
out_of_range = st.sampled_from(list(OUT_OF_RANGE)).flatmap(
    lambda path: OUT_OF_RANGE[path].map(lambda value: with_value(path, value))
)
bad_experiment = st.one_of(words.map(lambda w: "no_such_" + w), st.integers()).map(
    lambda name: with_value(("experiment",), name)
)
not_a_mapping = st.one_of(st.lists(st.integers(), min_size=1, max_size=3), st.integers(), words)
bad_configs = st.one_of(
    unknown_key,
    wrong_int,
    wrong_float,
    bad_choice,
    bad_section,
    out_of_range,
    bad_experiment,
    not_a_mapping,
)
broken_yaml = st.sampled_from(
    ["a: [1, 2", "train: {steps: 3", "x: 'open", "a:\n\t- b", "- a\nb: c", "@x"]
)


def run_cli(*args):
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        status = main(list(args))
    return status, err.getvalue(), out.getvalue()


def assert_one_clean_line(status, err, out, source):
    lines = err.strip().splitlines()
    assert status == 2, (status, err, out)
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and out == ""
    assert source in lines[0]


FUZZ = settings(max_examples=220, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(config=bad_configs)
def test_generated_bad_configs_give_one_clean_line(config):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bad.yaml"
        path.write_text(yaml.safe_dump(config))
        assert_one_clean_line(*run_cli("run", str(path)), str(path))


@settings(max_examples=30, deadline=None)
@given(text=broken_yaml)
def test_broken_yaml_gives_one_clean_line(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "broken.yaml"
        path.write_text(text)
        assert_one_clean_line(*run_cli("run", str(path)), str(path))


@settings(max_examples=60, deadline=None)
@given(
    override=st.one_of(
        words.map(lambda w: w),  # no '='
        words.map(lambda w: f"train.zz_{w}=1"),
        st.sampled_from(
            [
                "train.steps=-5",
                "train.optimizer.name=rmsprop",
                "seed=abc",
                "train.checkpoint_every=7",
                "=3",
                "train..steps=3",
                "seed.x=1",
            ]
        ),
    )
)
def test_bad_overrides_give_one_clean_line(override):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "good.yaml"
        path.write_text(yaml.safe_dump(BASE))
        assert_one_clean_line(*run_cli("run", str(path), override), str(path))


def test_messages_name_key_value_and_allowed(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(with_value(("train", "optimizer", "learning_rate"), -0.5)))
    _, err, _ = run_cli("run", str(path))
    assert "key 'train.optimizer.learning_rate'" in err and "-0.5" in err and "> 0.0" in err
    path.write_text(yaml.safe_dump(with_value(("train", "stpes"), 3)))
    _, err, _ = run_cli("run", str(path))
    assert "unknown key" in err and "did you mean 'train.steps'" in err
    _, err, _ = run_cli("run", str(tmp_path / "missing.yaml"))
    assert "config file not found" in err and "missing.yaml" in err
