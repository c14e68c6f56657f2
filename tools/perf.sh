#!/usr/bin/env bash
# Every performance table of docs/performance.md in one run (issue 7): machine, micro-benchmarks, C# vs Python peer,
# HTTP load (wrk), live delay and simultaneous streams, scaling with audio length, start-up to ready.
# Writes the tables to $RTSER_PERF_OUT (default /tmp/rtser-perf/perf.md) and, with --docs, between the
# <!-- perf:begin --> and <!-- perf:end --> markers of docs/performance.md.
# Usage: bash tools/perf.sh [--docs] [--quick]   (--quick: 60 s live stream, shorter load runs, BenchmarkDotNet --job dry)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
docs=0 quick=0
for a in "$@"; do
  case "$a" in --docs) docs=1 ;; --quick) quick=1 ;; *) echo "unknown option $a" >&2; exit 2 ;; esac
done
DATA=${RTSER_DATASETS:-$ROOT/../shared/datasets}
EMODB=$DATA/emodb/wav
WORK=/tmp/rtser-perf
mkdir -p "$WORK"
OUT=${RTSER_PERF_OUT:-$WORK/perf.md}
PERF=benchmarks/Rtser.Perf/bin/Release/net10.0/Rtser.Perf.dll
LOAD_SECONDS=20 LIVE_SECONDS=300 RAMP_SECONDS=20 BDN_JOB=short CLIPS=100
if [ "$quick" = 1 ]; then LOAD_SECONDS=8 LIVE_SECONDS=60 RAMP_SECONDS=10 BDN_JOB=dry CLIPS=30; fi
SERVICE_PID=""
cleanup() { [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null || true; }
trap cleanup EXIT

log() { echo "[perf] $*" >&2; }
model_info() {
  /usr/bin/python3 - "models/$1.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
seeds = len(c["config"].get("seeds") or [1])
inputs = ", ".join(i["name"] for i in c["inputs"])
print(f"{c['id']}, {c['parameters']:,} parameters, {c['macsPerSecondOfAudio'] / 1e6:.1f} M MACs per second of audio, inputs {inputs}, {seeds} seed(s) averaged in the graph", end="")
EOF
}
others() { # what else ran: processes over 5% CPU that are not this run's
  ps -eo pcpu,ni,comm,args --sort=-pcpu | awk -v me="$$" 'NR>1 && $1>5 {printf "%s (%s%% CPU, nice %s); ", $3, $1, $2}' | sed 's/; $//'
}

log "building (Release)"
dotnet build -c Release benchmarks/Rtser.Benchmarks --nologo -v quiet >/dev/null
dotnet build -c Release benchmarks/Rtser.Perf --nologo -v quiet >/dev/null
dotnet build -c Release src/Rtser.Api --nologo -v quiet >/dev/null
API="$WORK/api"
rm -rf "$API"; cp -r src/Rtser.Api/bin/Release/net10.0 "$API"

{
echo "Made by \`bash tools/perf.sh --docs\` on $(date -u +%Y-%m-%d) (commit $(git rev-parse --short HEAD))."
echo
echo "**Machine**: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -r), .NET SDK $(dotnet --version), ONNX Runtime 1.31.1."
echo "Default model: $(model_info cnn-rnn-emodb)."
echo "At the start: load average $(cut -d' ' -f1-3 /proc/loadavg); also running: $(others)."
echo
} > "$OUT"

# ---------------------------------------------------------------- 1. micro-benchmarks
log "1. BenchmarkDotNet --job $BDN_JOB"
{
echo "### Micro-benchmarks (BenchmarkDotNet \`--job $BDN_JOB\`, one thread, a 3 s speech-like clip)"
echo
dotnet benchmarks/Rtser.Benchmarks/bin/Release/net10.0/Rtser.Benchmarks.dll \
  --filter '*DecodeBenchmarks*' '*FftBenchmarks*' '*FeatureBenchmarks*' '*InferenceBenchmarks*' --job "$BDN_JOB" 2>&1 | grep -E '^\|' |
  awk '/^\| Method/ && seen++ {print ""} {print}'
echo
} >> "$OUT"

# ---------------------------------------------------------------- 2. peer comparison
log "2. C# and Python peer on the same $CLIPS EmoDB clips"
dotnet "$PERF" clips --dir "$EMODB" --n "$CLIPS" --repeat 5 --json "$WORK/cs.json" >/dev/null
/usr/bin/python3 benchmarks/peer/peer.py --dir "$EMODB" --n "$CLIPS" --repeat 5 --json "$WORK/py.json" >/dev/null
/usr/bin/python3 - "$WORK/cs.json" "$WORK/py.json" >> "$OUT" <<'EOF'
import json, sys
cs, py = (json.load(open(p)) for p in sys.argv[1:3])
c, p = cs["ms_per_3s"], py["ms_per_3s"]
print(f"### C# against a Python peer (same run, same {cs['clips']} EmoDB clips, {cs['audio_seconds']:.0f} s of audio, one thread each)")
print()
print("ms per 3 s of audio (median of 5 repeats per clip, summed). Python: numpy/scipy features, PyTorch eager "
      f"{py['versions']['torch']} for the same CNN-RNN ({py['members']} member(s), card config, random weights); its MFCC "
      f"matches torchaudio's Kaldi MFCC within {py['mfcc_max_abs_diff_vs_torchaudio']:.4f}.")
print()
print("| stage | C# | Python | Python / C# |")
print("|---|---:|---:|---:|")
rows = [("decode WAV + resample 22.05 -> 16 kHz", "decode", "decode"), ("MFCC", "mfcc", "mfcc"),
        ("MS frames + statistics", "ms", "ms"), (f"inference {cs['model']}", "inference", "inference")]
for name, a, b in rows:
    print(f"| {name} | {c[a]:.2f} | {p[b]:.2f} | {p[b] / c[a]:.1f}x |")
if "prosody" in p:
    print(f"| prosody (F0, voicing, energy + 21 functionals) | {c['prosody']:.2f} | {p['prosody']:.2f} | {p['prosody'] / c['prosody']:.1f}x |")
print(f"| speech activity | (in end to end) | {p['vad']:.2f} | |")
print(f"| **end to end** (bytes to label, one window) | **{c['end_to_end']:.2f}** | **{p['end_to_end']:.2f}** | **{p['end_to_end'] / c['end_to_end']:.1f}x** |")
print(f"| service analysis (2 s / 0.5 s timeline + overall) | {c['service_analysis']:.2f} | | |")
print()
EOF

# ---------------------------------------------------------------- service helpers
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_service() { # $1: data dir
  rm -rf "$1"; mkdir -p "$1"
  ASPNETCORE_ENVIRONMENT=Production dotnet "$API/Rtser.Api.dll" --urls "http://127.0.0.1:$PORT" \
    --Rtser:DataDirectory "$1" --Rtser:RateLimitPerMinute 0 --Rtser:MaxLiveStreams 1000 --Rtser:MaxLiveStreamsPerCaller 1000 \
    --Logging:LogLevel:Default Warning > "$1.log" 2>&1 &
  SERVICE_PID=$!
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
    sleep 0.02
  done
  echo "service did not become ready" >&2; cat "$1.log" >&2; exit 1
}
stop_service() { kill "$SERVICE_PID" 2>/dev/null || true; wait "$SERVICE_PID" 2>/dev/null || true; SERVICE_PID=""; }
hwm() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$SERVICE_PID/status"; }

# ---------------------------------------------------------------- 6. start-up
log "6. start-up to ready"
starts=()
for i in 1 2 3 4 5; do
  t0=$(date +%s%N)
  start_service "$WORK/startup"
  t1=$(date +%s%N)
  starts+=($(( (t1 - t0) / 1000000 )))
  stop_service
done
models=$(ls "$API"/models/*.onnx | wc -l)

# ---------------------------------------------------------------- 3. HTTP load
log "3. wrk load, $LOAD_SECONDS s per level"
dotnet "$PERF" wav --dir "$EMODB" --seconds 3 --out "$WORK/clip3s.wav"
start_service "$WORK/load"
for i in $(seq 1 50); do curl -s -o /dev/null -H 'Content-Type: audio/wav' --data-binary @"$WORK/clip3s.wav" "http://127.0.0.1:$PORT/api/predictions"; done
{
echo "### HTTP load (wrk on loopback, POST of a 3 s 16 kHz WAV as audio/wav, $LOAD_SECONDS s per level)"
echo
echo "Service from its Release build, SQLite store in a temp dir (\`synchronous=FULL\`: every 201 is on disk), rate limit off"
echo "(\`--Rtser:RateLimitPerMinute 0\`), default concurrency gate (one analysis per core, 64 queued); wrk (1 thread) on the same 2 cores;"
echo "50 warm-up requests first. Errors: connect/read/write/timeout and non-2xx answers."
echo
echo "| connections | requests/s | p50 ms | p90 ms | p99 ms | max ms | errors | non-2xx | service peak RSS MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in 1 8 32; do
  line=$(RTSER_WAV="$WORK/clip3s.wav" wrk -t1 -c"$c" -d"${LOAD_SECONDS}s" --timeout 10s -s benchmarks/load/post-wav.lua "http://127.0.0.1:$PORT" | grep '^RESULT')
  eval "$(echo "$line" | sed 's/^RESULT //')"
  echo "| $c | $rps | $p50_ms | $p90_ms | $p99_ms | $max_ms | $((connect + read + write + timeout)) | $status | $(hwm) |"
done
stop_service
# The same at c=8 with the store on tmpfs (fsync costs nothing there): separates the disk's share from compute.
start_service /dev/shm/rtser-perf-load
for i in $(seq 1 50); do curl -s -o /dev/null -H 'Content-Type: audio/wav' --data-binary @"$WORK/clip3s.wav" "http://127.0.0.1:$PORT/api/predictions"; done
line=$(RTSER_WAV="$WORK/clip3s.wav" wrk -t1 -c8 -d"${LOAD_SECONDS}s" --timeout 10s -s benchmarks/load/post-wav.lua "http://127.0.0.1:$PORT" | grep '^RESULT')
eval "$(echo "$line" | sed 's/^RESULT //')"
echo "| 8, store on tmpfs | $rps | $p50_ms | $p90_ms | $p99_ms | $max_ms | $((connect + read + write + timeout)) | $status | $(hwm) |"
stop_service
echo
echo "Open loop (\`Rtser.Perf rate\`: HttpClient on the same cores, requests due at a fixed rate, latency counted from when each was due, at most 64 in flight):"
echo
echo "| store | target/s | achieved/s | p50 ms | p90 ms | p99 ms | max ms | errors | late starts |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for store in "$WORK/rate" /dev/shm/rtser-perf-rate; do
  start_service "$store"
  dotnet "$PERF" rate --url "http://127.0.0.1:$PORT/api/predictions" --wav "$WORK/clip3s.wav" --rate 150 --seconds "$LOAD_SECONDS" |
    /usr/bin/python3 -c 'import json, sys; r = json.loads(sys.stdin.read()); name = sys.argv[1]
print("| %s | %.0f | %.1f | %.1f | %.1f | %.1f | %.1f | %d | %d |" % (name, r["target_rate"], r["achieved_rate"], r["p50_ms"], r["p90_ms"], r["p99_ms"], r["max_ms"], r["errors"], r["late_starts"]))' \
    "$([ "$store" = /dev/shm/rtser-perf-rate ] && echo tmpfs || echo disk)"
  stop_service
done
rm -rf /dev/shm/rtser-perf-load /dev/shm/rtser-perf-load.log /dev/shm/rtser-perf-rate /dev/shm/rtser-perf-rate.log
echo
} >> "$OUT"

# ---------------------------------------------------------------- 4. live
log "4. live: one stream of $LIVE_SECONDS s, then the ramp"
start_service "$WORK/live"
dotnet "$PERF" live --url "ws://127.0.0.1:$PORT/api/stream" --dir "$EMODB" --seconds "$LIVE_SECONDS" > "$WORK/live.json"
dotnet "$PERF" ramp --url "ws://127.0.0.1:$PORT/api/stream" --dir "$EMODB" --seconds "$RAMP_SECONDS" \
  --streams 10,25,50,75,100,150,200,300 > "$WORK/ramp.jsonl"
live_rss=$(hwm)
stop_service
/usr/bin/python3 - "$WORK/live.json" "$WORK/ramp.jsonl" "$live_rss" >> "$OUT" <<'EOF'
import json, sys
one = json.load(open(sys.argv[1]))
ramp = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
print(f"### Live (/api/stream on loopback, 16 kHz Int16 in 20 ms chunks sent in real time)")
print()
print(f"Delay of a reading: from sending the chunk that holds the hop's last sample to receiving its reading, at the client "
      f"(C# ClientWebSocket, `Rtser.Perf live`). One stream of {one['audio_seconds']:.0f} s of EmoDB speech: "
      f"{one['readings']} readings of {one['expected']} expected.")
print()
print("| p50 ms | p95 ms | p99 ms | max ms | client send lag max ms |")
print("|---:|---:|---:|---:|---:|")
print(f"| {one['p50_ms']:.1f} | {one['p95_ms']:.1f} | {one['p99_ms']:.1f} | {one['max_ms']:.1f} | {one['send_lag_max_ms']:.1f} |")
print()
kept = next((r["kept_in_real_time"] for r in ramp if "kept_in_real_time" in r), 0)
rows = [r for r in ramp if "streams" in r]
print(f"Simultaneous streams (`Rtser.Perf ramp`, {rows[0]['audio_seconds']:.0f} s each, starts spread over 0.5 s; kept in real time = every "
      f"reading arrived and the p95 delay stayed under 250 ms, half a hop). Clients and service share the 2 cores. "
      f"**Kept in real time: {kept} streams**; service peak RSS {sys.argv[3]} MiB.")
print()
print("| streams | readings | p50 ms | p95 ms | max ms | client send lag max ms | failed streams | real time |")
print("|---:|---:|---:|---:|---:|---:|---:|---|")
for r in rows:
    print(f"| {r['streams']} | {r['readings']}/{r['expected']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['max_ms']:.1f} | "
          f"{r['send_lag_max_ms']:.1f} | {r['failed_streams']} | {'yes' if r['real_time'] else 'no'} |")
print()
EOF

# ---------------------------------------------------------------- 5. scaling
log "5. scaling"
{
echo "### Scaling with audio length (EmotionAnalyzer: utterance segments, cnn-rnn-emodb; one process per length)"
echo
echo "WAV bytes of joined EmoDB speech -> decode -> segments -> overall, warm; time is the fastest of 3 runs. Peak RSS is the process's"
echo "high-water mark during the first run (reset just before it), above its RSS before it; the input WAV (16-bit) is already in memory."
echo
echo "| audio | segments | time ms | ms per audio second | peak RSS above before MiB | float signal MiB | allocated MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for s in 1 10 60 600; do
  dotnet "$PERF" scale --seconds "$s" --dir "$EMODB" | /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
s = r["seconds"]
label = "%.0f s" % s if s < 60 else "%.0f min" % (s / 60)
print("| %s | %d | %.1f | %.2f | %.1f | %.1f | %.1f |" % (label, r["segments"], r["ms"], r["ms_per_audio_second"],
      r["peak_above_before_mib"], s * 16000 * 4 / 1048576, r["allocated_mib"]))'
done
echo
} >> "$OUT"

{
echo "### Start-up to ready"
echo
IFS=$'\n' sorted=($(printf '%s\n' "${starts[@]}" | sort -n)); unset IFS
echo "From launching \`dotnet Rtser.Api.dll\` (Release build, fresh data dir, $models ONNX models loaded and checked) to the first \`/healthz\` 200, polled every 20 ms: runs ${starts[*]} ms, **median ${sorted[2]} ms**."
echo
echo "At the end: load average $(cut -d' ' -f1-3 /proc/loadavg); also running: $(others)."
} >> "$OUT"

log "written to $OUT"
if [ "$docs" = 1 ]; then
  /usr/bin/python3 - "$OUT" <<'EOF'
import re, sys
table = open(sys.argv[1]).read().strip()
text = open("docs/performance.md").read()
begin, end = "<!-- perf:begin -->", "<!-- perf:end -->"
assert begin in text and end in text, "docs/performance.md has no perf markers"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open("docs/performance.md", "w").write(head + begin + "\n" + table + "\n" + end + tail)
EOF
  log "docs/performance.md updated"
fi
