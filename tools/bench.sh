#!/usr/bin/env bash
# Runs the foundation's BenchmarkDotNet suites (decode, resample, FFT, MFCC, MS, whole pipeline on a 3 s clip)
# and prints the machine they ran on followed by the result tables (markdown).
# Usage: bash tools/bench.sh [extra BenchmarkDotNet args, e.g. --job short]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release benchmarks/Rtser.Benchmarks --nologo -v quiet >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(dotnet --version) SDK, load average $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet benchmarks/Rtser.Benchmarks/bin/Release/net10.0/Rtser.Benchmarks.dll \
  --filter '*FeatureBenchmarks*' '*FftBenchmarks*' '*DecodeBenchmarks*' '*InferenceBenchmarks*' "$@" 2>&1 | grep -E '^\|'
