#!/usr/bin/env bash
# One prepared run on a CUDA machine: the figures the README's GPU rows and issue 12 wait for.
#
#   make gpu-wheels            # here, once: wheels a bare CUDA image may lack, into build/gpu-wheels
#   scripts/gpu-check.sh [OUT] # there, from the repository root (OUT defaults to $OUT, else gpu-check/)
#
# It uses the machine's own python3 with its own torch and transformers (a CUDA build), adds what
# that environment lacks from build/gpu-wheels when the folder is there (installed into a scratch
# folder, nothing else touched; made for the image's Python, GPU_PYTHON in the Makefile), and
# writes each step's output to OUT:
#
#   environment.txt  GPU, driver, python, torch, transformers, ctranslate2 versions
#   test.txt         the processor's tensor path against its Python reference on the GPU
#   processor.txt    the processor alone per decoding step at batches 32, 256 and 1024 (bench_processor)
#   speed.txt        tokens/s on and off per engine and batch, against the GPU baseline (bench_speed)
#
# Every step runs under its own time limit, so the whole fits one call of about ten minutes; a step
# that fails or runs out of time is recorded as such and the next one still runs.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-gpu-check}}
mkdir -p "$out"
python=${PYTHON:-python3}
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
if compgen -G "build/gpu-wheels/*.whl" >/dev/null; then
    site=$(mktemp -d)
    "$python" -m pip install -q --no-index --no-deps --target "$site" build/gpu-wheels/*.whl \
        || echo "gpu-check: some carried wheels did not install" >&2
    export PYTHONPATH="$PYTHONPATH:$site"  # ahead of site-packages: a carried version wins over the machine's
fi

step() {  # step NAME SECONDS COMMAND...: run with a time limit, its output to OUT/NAME.txt and the terminal
    local name=$1 limit=$2
    shift 2
    echo "== $name: $*" | tee "$out/$name.txt"
    timeout "$limit" "$@" 2>&1 | tee -a "$out/$name.txt"
    local rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] || echo "== $name: exit $rc$( [ "$rc" -eq 124 ] && echo ' (out of time)')" | tee -a "$out/$name.txt"
}

step environment 60 sh -c "nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; nproc; \
    $python -c 'import sys, torch, transformers; print(sys.version.split()[0], torch.__version__, transformers.__version__, torch.cuda.is_available())'; \
    $python -c 'import ctranslate2; print(\"ctranslate2\", ctranslate2.__version__, ctranslate2.get_cuda_device_count(), \"CUDA devices\")'"
step test 90 "$python" -m pytest -q -p no:cacheprovider tests/test_processor_batch.py
step processor 120 "$python" scripts/bench_processor.py --device cuda
step speed 280 "$python" scripts/bench_speed.py --device cuda --segments 32 --repeats 2
