"""The `sciml` command line."""

from ._main import main as main
