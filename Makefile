# Two commands do all the set-up on a fresh clone:
#   make sample   publish the sample article offline into output/
#   make test     run the test suite
PYTHON ?= python3
VENV ?= .venv
# The CPU build of torch; set TORCH_SPEC to your own build (e.g. a CUDA one) if you need it.
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: sample test render bench gpu-wheels clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH_SPEC)"
	$(BIN)/pip install -q -e ".[test]"
	touch $@

sample: $(BIN)/.installed
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
	rm -rf output/*.pdf output/*.docx build dist
