#!/usr/bin/env bash
# Runs every test: installs what the tests need, runs all C# test projects (Release), training's Python unit
# tests, a link check of the documents and a smoke training run, and ends with one "N passed, N failed, N skipped" line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || exit 1
passed=0 failed=0 skipped=0 status=0

# Tests that read the corpora (Category=Corpus) are skipped where they are absent, except where CI is set: there
# they run and fail. The tests get the absolute path, so they look where this says.
export RTSER_DATASETS
RTSER_DATASETS=$(realpath -m "${RTSER_DATASETS:-../shared/datasets}")
if [ -d "$RTSER_DATASETS/emodb/wav" ] && [ -d "$RTSER_DATASETS/ravdess" ]; then
  echo "corpora: found at $RTSER_DATASETS"
elif [ -n "${CI:-}" ]; then
  echo "corpora: not found at $RTSER_DATASETS, and CI is set: the corpus tests will fail (set RTSER_DATASETS)"
else
  echo "corpora: not found at $RTSER_DATASETS (set RTSER_DATASETS): the corpus tests are skipped, counted below"
fi
log=$(mktemp)

dotnet test RTSER.sln -c Release --nologo 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
read -r f p s < <(grep -E '(Passed|Failed|Skipped)! +- Failed:' "$log" |
  sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/' |
  awk '{f+=$1; p+=$2; s+=$3} END {print f+0, p+0, s+0}')
failed=$((failed + f)) passed=$((passed + p)) skipped=$((skipped + s))

/usr/bin/python3 -m unittest discover -s training/tests -t . 2>&1 | tee "$log"
if [ "${PIPESTATUS[0]}" -eq 0 ]; then
  passed=$((passed + $(grep -oE 'Ran [0-9]+' "$log" | grep -oE '[0-9]+' || echo 0)))
else
  status=1
  failed=$((failed + $(grep -oE '(failures|errors)=[0-9]+' "$log" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')))
fi

echo "links: every relative link and #anchor in the repository's markdown files"
if bash tools/check-links.sh > "$log" 2>&1; then
  passed=$((passed + 1)); tail -n 1 "$log"
else
  status=1; failed=$((failed + 1)); cat "$log"
fi

echo "fuzz: 3,000 mutated uploads through decoders, features, models and the HTTP upload paths"
if dotnet run -c Release --project tests/Rtser.Fuzz -- --inputs 3000 --seed "$(date +%j)" > "$log" 2>&1; then
  passed=$((passed + 1)); tail -n 1 "$log"
else
  status=1; failed=$((failed + 1)); tail -n 40 "$log"
fi

echo "training smoke run (synthetic features, 1 epoch, every model exported and checked)"
if /usr/bin/python3 -m training.run_all --smoke > "$log" 2>&1; then
  passed=$((passed + 1)); tail -n 2 "$log"
else
  status=1; failed=$((failed + 1)); tail -n 40 "$log"
fi
echo "perf regression check: service path for a 3 s upload as a ratio to a fixed FFT loop timed in the same run, against benchmarks/Rtser.Perf/ci-baseline.json (fails above 2x)"
if dotnet build -c Release benchmarks/Rtser.Perf --nologo -v quiet > "$log" 2>&1 &&
  dotnet benchmarks/Rtser.Perf/bin/Release/net10.0/Rtser.Perf.dll ci >> "$log" 2>&1; then
  passed=$((passed + 1)); tail -n 2 "$log"
else
  status=1; failed=$((failed + 1)); tail -n 40 "$log"
fi
rm -f "$log"

echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "no tests ran" >&2
  exit 1
fi
exit "$status"
