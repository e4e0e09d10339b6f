# Two commands on a fresh machine with only Python and pip:
#   make demo   creates .venv, installs sciml_jax, runs the default experiment on the CPU
#   make test   creates .venv if needed, installs, runs the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_CONFIG ?= configs/burgers_pinn_demo.yaml

.PHONY: demo test install lint clean mutation

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	JAX_PLATFORMS=cpu $(BIN)/sciml run $(DEMO_CONFIG)

test: $(STAMP)
	JAX_PLATFORMS=cpu $(BIN)/python -m pytest -q -n 2 --dist loadfile

# Slow (minutes per module; not part of `make test`): mutmut over the core modules, each
# against its own tests, on a seeded sample of MUTATION_SAMPLE mutants per module.
MUTATION_SAMPLE ?= 8
mutation: $(STAMP)
	nice -n 15 $(BIN)/python benchmarks/mutation.py --sample $(MUTATION_SAMPLE) --seed 0

lint: $(STAMP)
	$(BIN)/ruff check sciml_jax tests experiments benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache
