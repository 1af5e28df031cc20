#!/usr/bin/env bash
# The main job: the whole taskforge pipeline on this machine, offline, with no API key.
#   1. a new task library holding the 18 seed tasks;
#   2. the recorded language-model session (generator/sessions/offline-demo.jsonl) proposes,
#      writes, repairs, validates and reflects on new tasks, which enter the library; then every
#      task of the library is validated again in the sim;
#   3. the library's tasks are exported to a folder the demo recorder and evaluator read;
#   4. oracle demonstrations for a few tasks (train and val splits);
#   5. a small CLIPort-style policy trains on the CPU for a few minutes;
#   6. it is evaluated in sim on unseen test seeds;
#   7. an HTML report of all of it.
# Usage: scripts/main-job.sh [OUT]   (default OUT: main-job/; it is replaced)
# Sizes can be changed through the environment: TASKS, VALIDATE_EPISODES, TRAIN_EPISODES, VAL_EPISODES, STEPS,
# BATCH, EVAL_EPISODES.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-main-job}
tf=build/taskforge
tasks=${TASKS:-block-insertion,box-into-container}
validate_episodes=${VALIDATE_EPISODES:-4}
train_episodes=${TRAIN_EPISODES:-20}
val_episodes=${VAL_EPISODES:-4}
steps=${STEPS:-200}
batch=${BATCH:-1}
eval_episodes=${EVAL_EPISODES:-10}
jobs=$(nproc)
# LibTorch's OpenMP threads sleep rather than spin while waiting: spinning made the CPU policy
# 10-25x slower on a machine with anything else running (docs/benchmarks.md).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

[ -x "$tf" ] || { echo "main-job: $tf is missing; run scripts/build.sh first" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)

stage() {  # stage TITLE COMMAND...: prints the title and the command, then runs it
  echo
  echo "== $1 (at $(( $(date +%s) - start )) s)"
  shift
  echo "\$ $*"
  "$@"
}

stage "1/7 A new task library with the seed tasks" \
  $tf library stats --library "$out/library.db"
stage "2/7 The recorded model session generates and validates new tasks" \
  $tf generate --replay generator/sessions/offline-demo.jsonl --library "$out/library.db" \
  --run-dir "$out/generate" --jobs "$jobs"
# After generation: the recorded session was made against a library whose seed tasks had not been
# validated yet (validation records their assets, which reference retrieval ranks by).
stage "2/7 Validating every task of the library (${validate_episodes} oracle episodes each, each in a sandboxed process)" \
  $tf library check --revalidate --episodes "$validate_episodes" --jobs "$jobs" --library "$out/library.db"
stage "3/7 The library's tasks as files for the demo recorder and the evaluator" \
  $tf library export "$out/tasks" --library "$out/library.db"
stage "4/7 Oracle demonstrations: train split" \
  $tf demos --tasks "$tasks" --split train --episodes "$train_episodes" --jobs "$jobs" \
  --library "$out/tasks" --out "$out/demos/train"
stage "4/7 Oracle demonstrations: val split" \
  $tf demos --tasks "$tasks" --split val --episodes "$val_episodes" --jobs "$jobs" \
  --library "$out/tasks" --out "$out/demos/val"
stage "5/7 Training the policy on the CPU" \
  $tf train --data "$out/demos/train" --val "$out/demos/val" --tasks "$tasks" --steps "$steps" \
  --batch "$batch" --width 8 --lr 2e-4 --checkpoint-every 50 --val-samples 8 --device cpu --out "$out/policy"
stage "6/7 Evaluating it on unseen test seeds" \
  $tf eval --checkpoint "$out/policy/last.pt" --tasks "$tasks" --split test --episodes "$eval_episodes" \
  --device cpu --library "$out/tasks" --json | tee "$out/eval.txt"
stage "7/7 The report" \
  $tf report --out "$out/report" --library "$out/library.db" --dataset "$out/demos/train" \
  --training "$out/policy" --evaluation "$out/eval.txt"

echo
echo "main job done in $(( $(date +%s) - start )) s: open $out/report/index.html"
