#!/usr/bin/env bash
# The oracle success table of the seed tasks: every task (colour-split variants in their own
# split) on seeds 0-19, run in parallel in chunks of five seeds, then summed into a Markdown table.
# Usage: scripts/oracle_table.sh [TASKFORGE_BINARY] [OUT_DIR] [PARALLEL_JOBS]
set -euo pipefail
bin=${1:-build/taskforge}; out=${2:-oracle-table}; jobs=${3:-$(nproc)}
mkdir -p "$out"
tasks="align-box-corner align-rope assembling-kits assembling-kits-seq-seen-colors assembling-kits-seq-unseen-colors block-insertion manipulating-rope packing-boxes packing-boxes-pairs-seen-colors packing-boxes-pairs-unseen-colors packing-shapes palletizing-boxes place-red-in-green put-block-in-bowl-seen-colors put-block-in-bowl-unseen-colors separating-piles-seen-colors separating-piles-unseen-colors stack-block-pyramid stack-block-pyramid-seq-seen-colors stack-block-pyramid-seq-unseen-colors sweeping-piles towers-of-hanoi towers-of-hanoi-seq-seen-colors towers-of-hanoi-seq-unseen-colors"
for t in $tasks; do
  split=train; case $t in *unseen*) split=test;; esac
  for s in 0 5 10 15; do echo "$t $s $split"; done
done | xargs -P "$jobs" -L 1 sh -c "$bin run --task \$0 --seed \$1 --episodes 5 --split \$2 --json --quiet | tail -1 > $out/\$0_\$1.json"

python3 - "$out" <<'PY'
import glob, json, sys
rows = {}
for path in sorted(glob.glob(sys.argv[1] + "/*.json")):
    d = json.load(open(path))
    r = rows.setdefault(d["task"], {"episodes": 0, "successes": 0, "reward": 0.0, "wall": 0.0, "errors": []})
    r["episodes"] += d["episodes"]; r["successes"] += d["successes"]
    r["reward"] += d["mean_reward"] * d["episodes"]; r["wall"] += d["wall_s"]
    r["errors"] += [x["error"].splitlines()[0] for x in d["runs"] if x["error"]]
print("| task | successes | mean reward | s/episode | first failure |")
print("|---|---|---|---|---|")
total = []
for task, r in sorted(rows.items()):
    rate = r["successes"] / r["episodes"]
    total.append(rate)
    print(f"| {task} | {r['successes']}/{r['episodes']} | {r['reward'] / r['episodes']:.3f} | "
          f"{r['wall'] / r['episodes']:.2f} | {r['errors'][0][:90] if r['errors'] else ''} |")
print(f"\nmean success rate over {len(total)} rows: {100 * sum(total) / len(total):.1f}%")
PY
