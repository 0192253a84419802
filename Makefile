# stackkit — two commands on a fresh machine: `make lab` and `make test`.
# Setup happens on demand: the venv is (re)installed only when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8888
# JupyterLab refuses to run as root without --allow-root (CI and containers run as root).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help lab test quick lint unit nbval notebooks student bench validate gpu-check fuzz dashboard clean

help:
	@echo "make lab        set up if needed, open JupyterLab on notebooks/00_overview.ipynb"
	@echo "make test       set up if needed, run ruff, the unit/data/widget tests and nbval"
	@echo "make quick      the contributor's loop: ruff and every test not marked slow or browser"
	@echo "make notebooks  re-execute every notebook in place and normalize its metadata"
	@echo "make student    write copies without solution cells to student/ (for handing out)"
	@echo "make book       build the course book (static site) in build/book/html"
	@echo "make release    write student assignments and answer keys to release/"
	@echo "make autograde  grade SUBMISSIONS=folder (folder/<student>/<lesson>.ipynb) to a CSV"
	@echo "make hub        a JupyterHub for a class on 127.0.0.1:8000 (docs/instructors.md)"
	@echo "make bench      print the performance figures"
	@echo "make validate   the kit against published measurements: writes docs/validation.md"
	@echo "make gpu-check  on a CUDA machine (PyTorch + JAX): tools/gpu_check.py, for data/"
	@echo "make fuzz       a long fuzz run: 100,000 calls (STACKKIT_FUZZ_CALLS, _SEED to change)"
	@echo "make dashboard  serve every tool as a Voila app (code hidden) on 127.0.0.1"
	@echo "make clean      remove the venv and caches"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.stamp-lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[lab]"
	touch $@

$(VENV)/.stamp-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[lab,test,browser,peers,spark,frameworks,hub]"
	$(BIN)/python -m pip install --quiet --no-deps "llm-analysis==0.2.2"
	touch $@

lab: $(VENV)/.stamp-lab
	@echo "JupyterLab on 127.0.0.1:$(PORT); open the URL with its token printed below."
	$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) $(ROOT_FLAG) --ServerApp.root_dir=. \
		--LabApp.default_url=/lab/tree/notebooks/00_overview.ipynb

lint: $(VENV)/.stamp-test
	$(BIN)/ruff check .

unit: $(VENV)/.stamp-test
	$(BIN)/python -m pytest tests -m "not browser"

nbval: $(VENV)/.stamp-test
	$(BIN)/python -m pytest -p no:cacheprovider --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg notebooks

test: $(VENV)/.stamp-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest tests notebooks --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg

# The loop to run after each change (under a minute): no notebooks, no browser, nothing
# marked slow, a short fuzz (2,000 calls; make test runs 10,000, make fuzz 100,000).
quick: $(VENV)/.stamp-test
	$(BIN)/ruff check .
	STACKKIT_FUZZ_CALLS=2000 $(BIN)/python -m pytest -q -p no:cacheprovider tests \
		-m "not slow and not browser"

notebooks: $(VENV)/.stamp-test
	$(BIN)/python tools/run_notebooks.py notebooks/*.ipynb

# Reads and writes notebook JSON with the standard library only: no venv needed.
student:
	$(PYTHON) tools/make_student.py --out student notebooks/*.ipynb

# The course (docs/instructors.md): the book, assignments and their grading, a class hub.
# Node tools (mystmd, configurable-http-proxy) are pinned in package.json / package-lock.json.
.PHONY: book release autograde hub
HUB_PORT ?= 8000
node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

book: node_modules/.stamp | $(BIN)/python
	$(BIN)/python tools/book.py --out build/book

release: $(VENV)/.stamp-test
	$(BIN)/python tools/autograde.py release --out release

autograde: $(VENV)/.stamp-test
	@test -n "$(SUBMISSIONS)" || { echo "usage: make autograde SUBMISSIONS=folder"; exit 2; }
	@test -d release/key || $(MAKE) release
	$(BIN)/python tools/autograde.py grade "$(SUBMISSIONS)" --key release/key

$(VENV)/.stamp-hub: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[lab,hub]"
	touch $@

hub: $(VENV)/.stamp-hub node_modules/.stamp
	$(BIN)/python tools/hub.py --port $(HUB_PORT)

# bench and dashboard install only what they use (pyproject's bench and dashboard extras),
# not the test stack; where the test venv exists already, pip finds everything installed.
$(VENV)/.stamp-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	touch $@

$(VENV)/.stamp-dashboard: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dashboard]"
	touch $@

bench: $(VENV)/.stamp-bench
	$(BIN)/python benchmarks/run.py

validate: $(VENV)/.stamp-test
	$(BIN)/python tools/validate.py --check

# Optional: on a machine with a CUDA GPU, PyTorch and JAX (nothing else in the kit needs one).
# Record the output with tools/gpu_check.py --record (see data/README.md).
gpu-check:
	python3 tools/gpu_check.py --out gpu_check_out

# make test runs 10,000 seeded calls; this runs ten times as many (about 5 minutes)
fuzz: $(VENV)/.stamp-test
	STACKKIT_FUZZ_CALLS=$${STACKKIT_FUZZ_CALLS:-100000} $(BIN)/python -m pytest -p no:cacheprovider \
		-q tests/test_fuzz.py

# Voila has no --allow-root and runs as root as it is; --token makes and prints a token.
dashboard: $(VENV)/.stamp-dashboard
	@echo "Voila on 127.0.0.1:$(PORT); open the URL with its token printed below."
	$(BIN)/voila dashboards/tools.ipynb --Voila.ip=127.0.0.1 --port=$(PORT) --no-browser \
		--token --strip_sources=True

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist screenshots student release node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
