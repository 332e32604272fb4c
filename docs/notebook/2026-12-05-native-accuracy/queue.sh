#!/usr/bin/env bash
# The queue of notebook 2026-12-05-native-accuracy: one run at a time; `touch runs/exp/STOP-21g`
# stops it between jobs. A = native path (addon in native/build), B = wasm path (addon moved out).
cd /work/wt-21g || exit 1
FLAGS="--videos 240 --epochs 8 --batch-size 8 --lr-step 6 --aux-weight 0.5 --init-from apps/trainer/assets/backbone-tiny.safetensors --lr-schedule cosine --warmup-steps 100 --weight-decay 0.05 --clip-norm 1"
ADDON=packages/tfjs-fast-kernels/native/build
run() { # path preset seed out engine
  local path=$1 preset=$2 seed=$3 out=$4 engine=$5
  [ -e runs/exp/STOP-21g ] && { echo "$(date -u +%T) STOP before $out"; exit 0; }
  echo "$(date -u +%T) start $out"
  if [ "$path" = native ]; then
    export -n SPARSIFY_NATIVE_DIR; unset SPARSIFY_NATIVE_DIR
    export SPARSIFY_NATIVE_THREADS=1 OPENBLAS_NUM_THREADS=1
  else
    if [ -e "$ADDON" ]; then mv "$ADDON" /tmp/wt21g-native-build || exit 1; fi
    export SPARSIFY_NATIVE_DIR=/tmp/sparsify-no-native OPENBLAS_NUM_THREADS=1
    unset SPARSIFY_NATIVE_THREADS
  fi
  node apps/trainer/dist/cli.js train --preset "$preset" $FLAGS --seed "$seed" --out "runs/exp/$out" > "runs/exp/$out.log" 2>&1
  echo "$(date -u +%T) train rc=$? $out: $(head -1 runs/exp/$out.log)"
  if ! head -1 "runs/exp/$out.log" | grep -q "fast kernels ($engine)"; then echo "WRONG ENGINE in $out"; exit 1; fi
  node apps/trainer/dist/cli.js eval "runs/exp/$out" --split heldout --heldout-videos 1000 > "runs/exp/$out-eval.log" 2>&1
  echo "$(date -u +%T) eval rc=$? $out: $(head -1 runs/exp/$out-eval.log)"
}
run native dense 42 nat-dense-s42 native-blas
run native sparsify 42 nat-sparsify-s42 native-blas
run native dense 1 nat-dense-s1 native-blas
run native sparsify 1 nat-sparsify-s1 native-blas
run native dense 2 nat-dense-s2 native-blas
run native sparsify 2 nat-sparsify-s2 native-blas
run wasm dense 3 bb3-dense-s3 xnnpack
run wasm sparsify 3 bb3-sparsify-s3 xnnpack
run wasm dense 4 bb3-dense-s4 xnnpack
run wasm sparsify 4 bb3-sparsify-s4 xnnpack
echo "$(date -u +%T) queue done"
