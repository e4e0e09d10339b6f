"""A YAML syntax error names the line the user has to fix, not the one after it."""

import pytest

from sciml_jax.config import ConfigError, load_yaml

CASES = [
    # A nested key missing its colon: the parser notices only at the next line's ':'.
    ("train:\n  steps 100\n  chunk_size: 10\n", 2),
    ("seed: 1\nsteps 5\nprecision: float32\n", 2),
    ("train:\n  optimizer:\n    name adam\n    learning_rate: 1.0\n", 3),
    # A mis-indented key continues the value above it.
    ("seed: 1\n  precision: float32\n", 2),
    # Errors the parser sees on the spot keep their line.
    ("seed: 1\nname: a: b\n", 2),
    ("seed: [1, 2\nname: x\n", 2),
]


@pytest.mark.parametrize("text, line", CASES)
def test_yaml_syntax_error_names_the_line_to_fix(tmp_path, text, line):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    message = str(caught.value)
    assert f"at line {line}," in message, message
    assert str(path) in message and "\n" not in message
