#!/usr/bin/env bash
# Wall time of `rtser predict` over a fixed folder set (RAVDESS Actor_01..06: 360 clips), measured by hyperfine for
# a base commit's binary ("before") and this tree's ("after"), both Release builds run as dlls so no build time is
# counted, both reading this tree's models/. Prints Markdown table rows: wall time (mean ± sd), clips per second, CPU
# time (user + system), the speed-up in wall time, and whether both printed the same lines.
#
# usage: benchmarks/cli/predict-folder.sh [base-ref]      (default base: main)
# env:   DATASETS (default: ../shared/datasets beside the repository), RUNS (default 5), MODELS (default: both below),
#        BASE_DIR (where the base is checked out and built; default /tmp/rtser-predict-base), OUT (hyperfine's JSON).
# Needs hyperfine (Debian: apt-get install hyperfine). Run it on a quiet machine: the script prints the load average.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
base_ref=${1:-main}
base_dir=${BASE_DIR:-/tmp/rtser-predict-base}
datasets=${DATASETS:-$repo/../shared/datasets}
runs=${RUNS:-5}
models=(${MODELS:-cnn-rnn-ravdess cnn-rnn-spk-ravdess})
out=${OUT:-/tmp/rtser-predict-bench}
folders=("$datasets"/ravdess/Actor_0{1..6})

command -v hyperfine >/dev/null || { echo "hyperfine is missing (apt-get install hyperfine)" >&2; exit 2; }
for f in "${folders[@]}"; do [ -d "$f" ] || { echo "no $f (set DATASETS)" >&2; exit 2; }; done
mkdir -p "$out"

# The base in its own worktree, detached, so the branch checked out elsewhere is untouched.
if [ -d "$base_dir" ]; then
  git -C "$base_dir" checkout -q --detach "$base_ref"
else
  git -C "$repo" worktree add -q --detach "$base_dir" "$base_ref"
fi
dotnet build -c Release "$base_dir/src/Rtser.Cli" --nologo -v quiet >/dev/null
dotnet build -c Release "$repo/src/Rtser.Cli" --nologo -v quiet >/dev/null
before="dotnet $base_dir/src/Rtser.Cli/bin/Release/net10.0/rtser.dll"
after="dotnet $repo/src/Rtser.Cli/bin/Release/net10.0/rtser.dll"

echo "base $(git -C "$base_dir" rev-parse --short HEAD), after $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo ' + uncommitted changes'); $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for model in "${models[@]}"; do
  args="predict ${folders[*]} --model $model --models $repo/models"
  # The same lines before and after, or the timing compares different work.
  $before $args >"$out/$model.before.jsonl" || true
  $after $args >"$out/$model.after.jsonl" || true
  cmp -s "$out/$model.before.jsonl" "$out/$model.after.jsonl" && same=identical || same=DIFFERENT
  hyperfine --warmup 1 --runs "$runs" --style none --export-json "$out/$model.json" -n before "$before $args" -n after "$after $args" >/dev/null
  python3 - "$out/$model.json" "$out/$model.after.jsonl" "$model" "$same" <<'PY'
import json, sys
runs, lines, model, same = sys.argv[1:]
results = {r["command"]: r for r in json.load(open(runs))["results"]}
clips = [json.loads(l) for l in open(lines)]
audio = sum(c.get("durationSeconds", 0) for c in clips)
b, a = results["before"], results["after"]
def cell(r):
    return f"{r['mean']:.2f} ± {r['stddev']:.2f} s, {len(clips) / r['mean']:.0f} clips/s, CPU {r['user'] + r['system']:.1f} s"
print(f"| `{model}` | {len(clips)} clips, {audio:,.0f} s | {cell(b)} | {cell(a)} | {b['mean'] / a['mean']:.2f}x | {same} |")
PY
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
