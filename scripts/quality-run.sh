#!/usr/bin/env bash
# Issue 7's quality run on one GPU: multitask training on the 8 CLIPort language tasks (seen
# colours), 100 demonstrations each, for a fixed wall-clock budget; the checkpoint chosen on the
# validation split is rolled out on 100 test episodes per task (docs/benchmarks.md has the results
# next to CLIPort's published ones).
# Usage (on a GPU host set up as in docs/policy.md):
#   scripts/quality-run.sh OUT_DIR [BUILD_DIR]
# Environment: MINUTES training budget (default 25), TRAIN / VAL existing dataset folders (default:
# recorded into OUT_DIR), JOBS worker processes for demos and eval (default: all cores), BATCH (8),
# LR (2e-4), EPISODES test episodes per task (100), CANDIDATES checkpoints rolled out on the
# validation split (3), VAL_EPISODES validation episodes per task (20), TRAIN_FLAGS more
# `taskforge train` flags.
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

# Checkpoint selection on the validation split, as CLIPort does: the last CANDIDATES checkpoints
# (default 3) are rolled out on VAL_EPISODES validation episodes per task (default 20); the one with
# the highest mean reward over the tasks is evaluated on the test split.
py() { env LD_LIBRARY_PATH="${PYTHON_LD_LIBRARY_PATH-}" python3 "$@"; }
for ckpt in $(ls "$out"/run/step_*.pt | sort -V | tail -n "${CANDIDATES:-3}"); do
  log "val: $(basename "$ckpt") on ${VAL_EPISODES:-20} validation episodes per task"
  "$tf" eval --checkpoint "$ckpt" --tasks "$tasks" --split val --episodes "${VAL_EPISODES:-20}" \
    --device cuda --jobs "$jobs" --json | tail -1 > "${ckpt%.pt}.val.json"
done
best=$(py - "$out"/run/step_*.val.json <<'EOF'
import json, sys
score = {f: sum(r.values()) / len(r) for f in sys.argv[1:] for r in [json.load(open(f))["mean_reward"]]}
for f, s in sorted(score.items()):
    print(f"{f}: mean reward {s:.3f}", file=sys.stderr)
print(max(score, key=score.get)[:-len(".val.json")] + ".pt")
EOF
)
log "eval: $(basename "$best") on ${EPISODES:-100} test episodes per task"
"$tf" eval --checkpoint "$best" --tasks "$tasks" --split test --episodes "${EPISODES:-100}" \
  --device cuda --jobs "$jobs" --json | tail -1 | tee "$out/eval.json"
log "done"
