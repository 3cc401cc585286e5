#!/usr/bin/env bash
# The GPU figures, on a machine with Python 3.12, JAX and PyTorch (CUDA) but no TensorFlow and no network.
# Run from the repository root: benchmarks/gpu/run.sh [OUT_DIR]. See benchmarks/gpu/README.md for the wheels.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-${OUT:-/tmp/specdsl-gpu}}"
mkdir -p "$OUT"
SITE=/tmp/specdsl-site
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .whl/*.whl
export PYTHONPATH="$SITE:$PWD"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python3 -c "import jax, torch, keras; print('jax', jax.__version__, jax.devices()); print('torch', torch.__version__, torch.cuda.is_available()); print('keras', keras.__version__)" | tee -a "$OUT/gpu.txt"
# seconds per epoch on each backend, GPU then CPU, the same configs as the CPU table in docs/benchmarks.md
python3 benchmarks/bench_backends.py --backends jax,torch --gpu --markdown 2>"$OUT/backends-gpu.log" | tee "$OUT/backends-gpu.md"
python3 benchmarks/bench_backends.py --backends jax,torch --markdown 2>"$OUT/backends-cpu.log" | tee "$OUT/backends-cpu.md"
