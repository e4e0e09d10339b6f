"""The import layering of docs/architecture.md, checked over the package's own imports.

`ALLOWED` is the table's "may import" column as data; a subpackage may also use whatever
those import in turn (lower layers, transitively), never a layer above it. Private modules
(`_name`) are used only inside their own subpackage: across packages, public names only.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sciml_jax"

# subpackage (or root module) -> the layers it may import directly
ALLOWED: dict[str, set[str]] = {
    "_types": set(),
    "_precision": set(),
    "_compilation": set(),
    "config": set(),
    "geometry": {"_types"},
    "ops": {"_types", "geometry"},
    "sampling": {"_types", "geometry"},
    "atoms": {"_types", "ops"},
    "pde": {"_types", "ops", "geometry"},
    "analysis": {"_types", "ops", "geometry"},
    "sim": {"_types", "pde", "ops", "atoms"},
    "nn": {"_types", "ops", "atoms"},
    "losses": {"_types", "pde", "ops", "analysis"},
    "data": {"_types", "sim", "pde", "ops"},
    "train": {"_types", "_precision", "config", "nn", "losses", "sampling", "distributed"},
    "uq": {"_types", "nn", "train"},
    "inference": {"_types", "nn", "train", "uq", "sim", "data"},
    "potentials": {"_types", "_precision", "nn", "train", "atoms", "sim"},
    "distributed": {"_types"},
    "viz": {"_types", "analysis"},
    "workflow": {
        "_types",
        "_precision",
        "config",
        "analysis",
        "data",
        "distributed",
        "geometry",
        "losses",
        "nn",
        "ops",
        "pde",
        "sampling",
        "sim",
        "train",
        "viz",
        "uq",
        "atoms",
        "potentials",
        "inference",
    },
    "cli": {
        "_types",
        "_precision",
        "_compilation",
        "config",
        "workflow",
        "train",
        "viz",
        "distributed",
    },
    "__init__": {"_precision", "_compilation", "workflow"},
    "__main__": {"cli"},
}


def closure(allowed: dict[str, set[str]]) -> dict[str, set[str]]:
    reach = {name: set(direct) for name, direct in allowed.items()}
    changed = True
    while changed:
        changed = False
        for targets in reach.values():
            extra = set().union(*(reach.get(t, set()) for t in targets)) - targets
            if extra:
                targets |= extra
                changed = True
    return reach


def layer_of(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package).parts
    return parts[0].removesuffix(".py")


def imports_of(path: Path, package: Path = PACKAGE) -> list[tuple[int, list[str]]]:
    """(line, module path inside sciml_jax as parts) of every import of the package."""
    parts = list(path.relative_to(package).with_suffix("").parts)
    here = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                target = base + (node.module.split(".") if node.module else [])
                names = [] if node.module else [a.name for a in node.names]
            elif node.module and node.module.split(".")[0] == "sciml_jax":
                target, names = node.module.split(".")[1:], []
            else:
                continue
            if not names:  # `from ..ops import _spectral`: a private module by name
                names = [a.name for a in node.names if a.name.startswith("_")]
            if names:  # `from .. import ops`: each name is a module (or a private one)
                found.extend((node.lineno, target + [n]) for n in names)
            else:
                found.append((node.lineno, target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sciml_jax":
                    found.append((node.lineno, alias.name.split(".")[1:]))
    return found


def violations(package: Path = PACKAGE) -> list[str]:
    reach = closure(ALLOWED)
    problems = []
    for path in sorted(package.rglob("*.py")):
        layer = layer_of(path, package)
        for line, target in imports_of(path, package):
            if not target or target[0] == layer:
                continue
            other = target[0]
            where = f"{path.relative_to(package.parent)}:{line}"
            if layer not in reach:
                problems.append(f"{where}: layer {layer!r} is not in the table")
            elif other in ALLOWED and other not in reach[layer]:
                problems.append(f"{where}: {layer} imports {other} (an upper or unrelated layer)")
            if any(p.startswith("_") and not p.startswith("__") for p in target[1:]):
                problems.append(f"{where}: {layer} imports private {'.'.join(target)}")
    return problems


def test_every_subpackage_has_a_row():
    layers = {layer_of(p) for p in PACKAGE.rglob("*.py")}
    assert layers <= set(ALLOWED), f"add rows for {sorted(layers - set(ALLOWED))}"


def test_no_import_runs_up_or_reaches_into_private_modules():
    assert violations() == []


@pytest.mark.parametrize(
    "layer, statement, complaint",
    [
        ("geometry", "from ..train import AbstractSampler", "geometry imports train"),
        ("pde", "from ..ops._autodiff import coordinate_direction", "private ops._autodiff"),
        ("sim", "from ..nn import MLP", "sim imports nn"),
    ],
)
def test_the_checker_catches_an_upward_or_private_import(tmp_path, layer, statement, complaint):
    package = tmp_path / "sciml_jax"
    (package / layer).mkdir(parents=True)
    (package / layer / "_bad.py").write_text(statement + "\n")
    found = violations(package)
    assert len(found) == 1 and complaint in found[0], found


def test_docs_table_lists_every_layer():
    table = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    for layer in ALLOWED:
        if not layer.startswith("__"):
            assert f"`{layer}`" in table, f"docs/architecture.md has no row for {layer}"
