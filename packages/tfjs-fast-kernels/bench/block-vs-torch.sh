#!/bin/sh
# The block bench's native default (the idiomatic block, bench/idiomatic-block.ts) beside
# PyTorch's block anchor (../shared/anchors/torch_block.py), alternating in one loop so load
# drift hits both: per round, PyTorch at 2 threads, ours at 2, PyTorch at 1, ours at 1.
# Ours prints its native-ab.ts table row (median of `steps` steps: wall ms, CPU ms, GFLOP/s
# wall and per CPU-second); PyTorch its JSON (ms_mean, cpu_ms, gflops per variant).
#   sh bench/block-vs-torch.sh [rounds] [steps]      (from packages/tfjs-fast-kernels)
# Needs the addon (pnpm build:native) and PyTorch at $TORCH_PYTHON (/work/venv-torch/bin/python).
rounds=${1:-3}
steps=${2:-4}
python=${TORCH_PYTHON:-/work/venv-torch/bin/python}
anchor=${TORCH_BLOCK:-../../../shared/anchors/torch_block.py}
ours() {
  SPARSIFY_NATIVE_THREADS=$1 SPARSIFY_BENCH_VARIANTS=6 \
    node --conditions=source --import tsx bench/native-ab.ts "$steps" | grep '^| native, idiomatic block'
}
i=0
while [ "$i" -lt "$rounds" ]; do
  for t in 2 1; do
    echo "round $i, $t threads, load $(cut -d' ' -f1 /proc/loadavg)"
    "$python" "$anchor" --threads "$t" --steps "$steps"
    ours "$t"
  done
  i=$((i + 1))
done
