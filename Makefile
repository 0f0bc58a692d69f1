# Two commands do all the set-up on a fresh clone:
#   make sample   publish the sample article offline into output/ (the core install: no torch, no model)
#   make test     run the test suite (torch, both engines and the test tools)
PYTHON ?= python3
VENV ?= .venv
# The CPU build of torch; set TORCH_SPEC to your own build (e.g. a CUDA one) if you need it.
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: sample test render bench gpu-wheels clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The core: what review, glossary, memory, publishing and packs need. The sample's English is
# approved, so publishing it needs no engine.
# --no-compile: pip byte-compiles every module of every package it installs, most never imported
# here; Python compiles the ones used on first import. Measured: 103 s against 185 s for this step
# on the same (heavily loaded) machine (docs/install.md).
$(BIN)/.core: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --no-compile -e .
	touch $@

# Everything the tests need: torch first (the CPU build, not the registry's CUDA one), then both engines.
$(BIN)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e ".[all,test]"
	touch $(BIN)/.core $@

sample: $(BIN)/.core
	HF_HUB_OFFLINE=1 $(BIN)/leshan-pub build source/leshan-2024.zh.txt

test: $(BIN)/.installed
	HF_HUB_OFFLINE=1 $(BIN)/pytest -q

render: sample
	scripts/render-sample.sh output/leshan-2024.pdf

bench: $(BIN)/.installed
	$(BIN)/python scripts/bench_build.py
	$(BIN)/python scripts/bench_enforce.py
	HF_HUB_OFFLINE=1 $(BIN)/python scripts/bench_speed.py
	HF_HUB_OFFLINE=1 $(BIN)/python scripts/bench_batches.py
	HF_HUB_OFFLINE=1 $(BIN)/python scripts/bench_placement.py

# For scripts/gpu-check.sh on a bare CUDA image that has torch and transformers but not these (its
# python: GPU_PYTHON); carry build/gpu-wheels there with the repository.
GPU_PYTHON ?= 3.12
gpu-wheels: $(BIN)/.installed
	$(BIN)/pip download -q --only-binary=:all: --no-deps --implementation cp --python-version $(GPU_PYTHON) \
		--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
		-d build/gpu-wheels ctranslate2 opencc defusedxml platformdirs rapidfuzz "filelock>=4"

clean:
	rm -rf output/*.pdf output/*.docx build dist .venv-core
