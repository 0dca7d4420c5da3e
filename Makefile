# beamnet-lava: the two commands a user needs are `make demo` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
DEMO ?= runs/demo

.PHONY: install demo test lint test-slow test-all bench clean

install:
	@bash scripts/install.sh

# Train a CUBA SNN on the embedded digits, export it to NetX, run it on the Lava CPU simulator,
# then evaluate it (calibration, OOD AUROC, energy per inference).
demo: install
	$(BIN)/beamnet-lava train --model snn --dataset digits --epochs 20 --seed 0 --out $(DEMO) --force
	$(BIN)/beamnet-lava export $(DEMO) -o $(DEMO)/model.net --force
	$(BIN)/beamnet-lava run $(DEMO)/model.net --dataset digits --json $(DEMO)/lava_run.json
	$(BIN)/beamnet-lava evaluate $(DEMO) --ood all

# Fast suite (a few minutes on 2 cores), after the import layering (import-linter, the
# contracts in pyproject.toml) and lint (ruff) checks.
test: install lint
	$(BIN)/python -m pytest -m "not slow" -q

lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check beamnet_lava tests benchmarks

# Slow end-to-end tests (full training, >=100-sample parity); CI runs them too.
test-slow: install
	$(BIN)/python -m pytest -m slow -q

test-all: test test-slow

bench: install
	$(BIN)/python benchmarks/bench_streaming.py

clean:
	rm -rf runs .pytest_cache
