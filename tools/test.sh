#!/usr/bin/env bash
# Runs every test: installs what the tests need, builds in Release, runs all test projects,
# and ends with one "N passed, N failed, N skipped" line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || exit 1
log=$(mktemp)
dotnet test RTSER.sln -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
read -r failed passed skipped < <(grep -E '(Passed|Failed)!  - Failed:' "$log" |
  sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/' |
  awk '{f+=$1; p+=$2; s+=$3} END {print f+0, p+0, s+0}')
rm -f "$log"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "no tests ran" >&2
  exit 1
fi
exit "$status"
