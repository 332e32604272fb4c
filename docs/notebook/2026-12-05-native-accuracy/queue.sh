#!/usr/bin/env bash
# The queue of notebook 2026-12-05-native-accuracy: one training process at a time; each run's
# held-out eval runs in the background beside the next training (at most one eval at a time).
# Usage: queue.sh path:preset:seed ... (path native | wasm). `touch runs/exp/STOP-21g` stops it
# between jobs. native = the addon in native/build; wasm = the addon moved out first.
# (The first version, commit fb798b4, ran each eval before the next training; it ran the two
# seed-42 native runs. The second ran native seeds 1 and 2 and lacked the wait before the move.)
cd /work/wt-21g || exit 1
FLAGS="--videos 240 --epochs 8 --batch-size 8 --lr-step 6 --aux-weight 0.5 --init-from apps/trainer/assets/backbone-tiny.safetensors --lr-schedule cosine --warmup-steps 100 --weight-decay 0.05 --clip-norm 1"
ADDON=packages/tfjs-fast-kernels/native/build
EVAL_PID=
for job in "$@"; do
  IFS=: read -r path preset seed <<<"$job"
  if [ "$path" = native ]; then out=nat-$preset-s$seed engine=native-blas; else out=bb3-$preset-s$seed engine=xnnpack; fi
  [ -e runs/exp/STOP-21g ] && { echo "$(date -u +%T) STOP before $out"; break; }
  echo "$(date -u +%T) start $out"
  if [ "$path" = native ]; then
    unset SPARSIFY_NATIVE_DIR
    export SPARSIFY_NATIVE_THREADS=1 OPENBLAS_NUM_THREADS=1
  else
    # A native eval started just before must have loaded the addon before it moves.
    for f in runs/exp/nat-*-eval.log; do
      [ -e "$f" ] || continue
      until grep -q "fast kernels" "$f"; do sleep 1; done
    done
    if [ -e "$ADDON" ]; then mv "$ADDON" /tmp/wt21g-native-build || exit 1; fi
    export SPARSIFY_NATIVE_DIR=/tmp/sparsify-no-native OPENBLAS_NUM_THREADS=1
    unset SPARSIFY_NATIVE_THREADS
  fi
  node apps/trainer/dist/cli.js train --preset "$preset" $FLAGS --seed "$seed" --out "runs/exp/$out" > "runs/exp/$out.log" 2>&1
  echo "$(date -u +%T) train rc=$? $out: $(head -1 "runs/exp/$out.log")"
  if ! head -1 "runs/exp/$out.log" | grep -q "fast kernels ($engine)"; then echo "WRONG ENGINE in $out"; exit 1; fi
  [ -n "$EVAL_PID" ] && wait "$EVAL_PID"
  ( node apps/trainer/dist/cli.js eval "runs/exp/$out" --split heldout --heldout-videos 1000 > "runs/exp/$out-eval.log" 2>&1
    echo "$(date -u +%T) eval rc=$? $out: $(head -1 "runs/exp/$out-eval.log")" ) &
  EVAL_PID=$!
done
wait
echo "$(date -u +%T) queue done"
