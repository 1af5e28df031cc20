#!/usr/bin/env bash
# Issue 7's quality run on one GPU: multitask training on the 8 CLIPort language tasks (seen
# colours), 100 demonstrations each, for a fixed wall-clock budget; the checkpoint with the lowest
# validation loss is rolled out on 100 test episodes per task (docs/benchmarks.md has the results
# next to CLIPort's published ones).
# Usage (on a GPU host set up as in docs/policy.md):
#   scripts/quality-run.sh OUT_DIR [BUILD_DIR]
# Environment: MINUTES training budget (default 25), TRAIN / VAL existing dataset folders (default:
# recorded into OUT_DIR), JOBS worker processes for demos and eval (default: all cores), BATCH (8),
# LR (2e-4), EPISODES test episodes per task (100), TRAIN_FLAGS more `taskforge train` flags.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: quality-run.sh OUT_DIR [BUILD_DIR]}
build=${2:-build-gpu}
tf="$build/taskforge"
tasks=align-rope,assembling-kits-seq-seen-colors,packing-boxes-pairs-seen-colors,packing-shapes,put-block-in-bowl-seen-colors,stack-block-pyramid-seq-seen-colors,separating-piles-seen-colors,towers-of-hanoi-seq-seen-colors
jobs=${JOBS:-$(nproc)}
train=${TRAIN:-$out/train}
val=${VAL:-$out/val}
mkdir -p "$out"
log() { echo "== $* ($(date +%T))"; }

if [ ! -f "$train/index.json" ]; then
  log "demos: 100 training episodes per task"
  "$tf" demos --tasks "$tasks" --split train --episodes 100 --jobs "$jobs" --out "$train" --json | tail -1
fi
if [ ! -f "$val/index.json" ]; then
  log "demos: 10 validation episodes per task"
  "$tf" demos --tasks "$tasks" --split val --episodes 10 --jobs "$jobs" --out "$val" --json | tail -1
fi

log "train: ${MINUTES:-25} minutes on cuda"
"$tf" train --data "$train" --val "$val" --tasks "$tasks" --device cuda --steps 10000000 --batch "${BATCH:-8}" \
  --lr "${LR:-2e-4}" --checkpoint-every 2000 --val-samples 400 --time-limit "${MINUTES:-25}" --out "$out/run" ${TRAIN_FLAGS-} --json \
  | tail -1 | tee "$out/train.json"

# Checkpoint selection on the validation split: the lowest validation loss (CLIPort picks by
# validation success; rolling out every checkpoint does not fit the budget).
best=$(grep '"val_loss"' "$out/run/metrics.jsonl" | sed -E 's/.*"step":([0-9]+).*"val_loss":([-0-9.eE+]+).*/\2 \1/' \
  | sort -g | head -1 | cut -d' ' -f2)
log "eval: step $best on ${EPISODES:-100} test episodes per task"
"$tf" eval --checkpoint "$out/run/step_$best.pt" --tasks "$tasks" --split test --episodes "${EPISODES:-100}" \
  --device cuda --jobs "$jobs" --json | tail -1 | tee "$out/eval.json"
log "done"
