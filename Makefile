# beamnet-lava: the two commands a user needs are `make demo` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
DEMO ?= runs/demo
DEMO_BEAMNET ?= runs/demo-beamnet
REPORT ?= runs/report
DEMO_STEPS := demo-snn-train demo-snn-lava demo-snn-eval demo-beamnet-train demo-beamnet-lava demo-beamnet-eval

.PHONY: install demo demo-snn demo-beamnet $(DEMO_STEPS) notebooks test lint test-slow test-notebooks test-all bench clean

install:
	@bash scripts/install.sh

# The main job on the embedded digits: a CUBA SNN and BEAM-Net, each trained, exported to NetX,
# run on the Lava CPU simulator (parity with the training model) and evaluated (calibration, OOD
# AUROC, energy per inference); then one report of both. Idempotent (--force replaces only our runs).
# The two chains are independent, so they run side by side (two jobs at a time, one torch thread
# each; each step's output is printed when it finishes; a failure in any step fails the demo).
demo: install
	@echo "demo: the SNN and BEAM-Net chains side by side (train, export, Lava run, evaluate), then the report"
	@$(MAKE) --no-print-directory -j2 --output-sync=target demo-snn demo-beamnet
	$(BIN)/beamnet-lava report $(DEMO_BEAMNET) $(DEMO) -o $(REPORT).pdf -o $(REPORT).html --force
	@echo "demo done: figures in $(DEMO_BEAMNET)/evaluation/ and $(DEMO)/evaluation/ (reliability.png, risk_coverage.png, raster.png);"
	@echo "           report in $(REPORT).pdf and $(REPORT).html"

# The steps of `make demo` (run them through it: it installs first). After training, the Lava
# run (export first) and the evaluation of a model are independent, so make keeps both cores busy.
$(DEMO_STEPS): export OMP_NUM_THREADS = 1
demo-snn: demo-snn-lava demo-snn-eval
demo-beamnet: demo-beamnet-lava demo-beamnet-eval
demo-snn-train:
	$(BIN)/beamnet-lava train --model snn --dataset digits --epochs 20 --seed 0 --out $(DEMO) --force
demo-snn-lava: demo-snn-train
	$(BIN)/beamnet-lava export $(DEMO) -o $(DEMO)/model.net --force
	$(BIN)/beamnet-lava run $(DEMO)/model.net --dataset digits --json $(DEMO)/lava_run.json --force
demo-snn-eval: demo-snn-train
	$(BIN)/beamnet-lava evaluate $(DEMO) --ood all
demo-beamnet-train:
	$(BIN)/beamnet-lava train --model beamnet --dataset digits --seed 0 --out $(DEMO_BEAMNET) --force
demo-beamnet-lava: demo-beamnet-train
	$(BIN)/beamnet-lava export $(DEMO_BEAMNET) -o $(DEMO_BEAMNET)/model.net --force
	$(BIN)/beamnet-lava run $(DEMO_BEAMNET)/model.net --dataset digits --json $(DEMO_BEAMNET)/lava_run.json --force
demo-beamnet-eval: demo-beamnet-train
	$(BIN)/beamnet-lava evaluate $(DEMO_BEAMNET) --ood all

# Execute every notebook (real Jupyter kernel) and render it to HTML under runs/notebooks/.
notebooks: install
	@mkdir -p runs/notebooks
	cd notebooks && for nb in *.ipynb; do \
	  ../$(BIN)/python -m jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=600 \
	    --output-dir ../runs/notebooks "$$nb" || exit 1; done
	@echo "notebooks rendered to runs/notebooks/*.html"

# Fast suite (about a minute on 2 cores: README "Tests" has the measured figures), after the
# import layering (import-linter, the contracts in pyproject.toml) and lint (ruff) checks.
# Both cores (pytest-xdist, one worker per test module so module fixtures train once; the
# session trainings are shared by the workers, tests/conftest.py; TEST_WORKERS=0 runs it in
# one process), one torch/BLAS thread per worker; nbmake's plugin only for test-notebooks.
TEST_WORKERS ?= 2
test: install lint
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -m "not slow" -q -p no:nbmake -n $(TEST_WORKERS) --dist loadscope

lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check beamnet_lava tests benchmarks

# Slow end-to-end tests (full training, >=100-sample parity, signals other than Ctrl-C, the
# SQLite MLflow store, Ray, INRC bundles); CI runs them too.
test-slow: install
	$(BIN)/python -m pytest -m slow -q

# Every notebook executed top to bottom by a real Jupyter kernel (nbmake), outputs never committed.
test-notebooks: install
	$(BIN)/python -m pytest --nbmake --nbmake-timeout=600 notebooks -q

test-all: test test-slow test-notebooks

bench: install
	$(BIN)/python benchmarks/bench_streaming.py

clean:
	rm -rf runs .pytest_cache
