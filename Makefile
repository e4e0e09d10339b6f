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

# Slow (not part of `make test`; about 50 min on a loaded 2-core CPU): a seeded sample of
# MUTATION_SAMPLE mutmut mutants per core module, each run alone against the module's tests
# (MODULES in benchmarks/mutation.py); the table is in benchmarks/RESULTS.md.
MUTATION_SAMPLE ?= 8
mutation: $(STAMP)
	nice -n 15 $(BIN)/python benchmarks/mutation.py --sample $(MUTATION_SAMPLE) --seed 0

lint: $(STAMP)
	$(BIN)/ruff check sciml_jax tests experiments benchmarks

clean:
	rm -rf $(VENV) runs .pytest_cache
