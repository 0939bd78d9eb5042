# Two entry points: `make demo` (set up, fetch MNIST, train, render) and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The torch build this project is tested with; override elsewhere, e.g. make TORCH="torch torchvision".
TORCH  ?= torch==2.14.1 torchvision==0.29.1

.PHONY: setup demo test bench

# --no-cache-dir: PyPI's torch brings ~3 GB of CUDA wheels, and a copy of them in pip's cache doubled
# what the install needs of the disk (a CI run on a nearly full disk failed there).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-cache-dir $(TORCH)
	$(PY) -m pip install --quiet --no-cache-dir -e '.[test,ray]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(PY) cli.py data fetch
	$(PY) cli.py train --track 6-per-class --overwrite
	$(PY) cli.py render trajectories --epochs 2-10

# The linter first (imports sorted, blank lines, pyflakes: pyproject.toml's [tool.ruff]), then the
# suite: one worker per core (at most 4), a module to a worker, so its fixtures are made once.
test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -q -n auto --maxprocesses 4 --dist loadfile

bench: setup
	$(PY) bench/train_speed.py
	$(PY) bench/runfile_append.py
	$(PY) bench/render_speed.py
	$(PY) bench/sweep_speed.py
	$(PY) bench/camera_speed.py
	$(PY) bench/snapshot_cost.py
	$(PY) bench/step_overhead.py
