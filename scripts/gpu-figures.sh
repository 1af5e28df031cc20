#!/usr/bin/env bash
# The figures issues 6 and 7 ask of a GPU host, in one run (docs/benchmarks.md):
#   - policy: training steps/s and pick+place latency of the C++ policy on CUDA, and of the
#     PyTorch reference of the same network (policy/reference/cliport_reference.py) in the same run;
#   - demos: episodes/s with 1 job and with one job per core, and that both datasets are equal.
# Usage (on a GPU host with PyTorch and the Debian packages unpacked as in docs/dependencies.md):
#   scripts/gpu-figures.sh OUT_DIR [BUILD_DIR]      (SKIP_DEMOS=1: the policy figures only)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: gpu-figures.sh OUT_DIR [BUILD_DIR]}
build=${2:-build-gpu}
mkdir -p "$out"
cores=$(nproc)
log() { echo "== $* ($(date +%T))"; }
# Python runs with the library path it had before the Debian packages were unpacked
# (PYTHON_LD_LIBRARY_PATH), so PyTorch never picks up their copies of system libraries.
py() { env LD_LIBRARY_PATH="${PYTHON_LD_LIBRARY_PATH-}" python3 "$@"; }

log "policy: C++ on CUDA (CUDA graphs, and eager) and the PyTorch reference, batch 8 and 1, bf16"
for batch in 8 1; do
  py policy/reference/cliport_reference.py --device cuda --batch $batch --steps 50 --runs 50 --json \
    | tail -1 | tee -a "$out/policy_reference.jsonl"
  "$build/taskforge" bench policy --device cuda --batch $batch --steps 50 --runs 50 --json \
    | tail -1 | tee -a "$out/policy_cpp.jsonl"
  "$build/taskforge" bench policy --device cuda --batch $batch --steps 50 --runs 50 --no-cuda-graphs --json \
    | tail -1 | tee -a "$out/policy_cpp.jsonl"
done
[ -n "${SKIP_DEMOS-}" ] && { log "done (SKIP_DEMOS)"; exit 0; }

log "demos: every seed task variant, 2 episodes each, 1 job and $cores jobs"
rm -rf /tmp/demos-j1 /tmp/demos-jn
"$build/taskforge" demos --tasks all --episodes 2 --jobs 1 --out /tmp/demos-j1 --json | tail -1 | tee "$out/demos_j1.json"
"$build/taskforge" demos --tasks all --episodes 2 --jobs "$cores" --out /tmp/demos-jn --json | tail -1 | tee "$out/demos_jn.json"
diff -r -x .lock /tmp/demos-j1 /tmp/demos-jn && echo "datasets byte-equal" | tee -a "$out/demos_jn.json"
log "done"
