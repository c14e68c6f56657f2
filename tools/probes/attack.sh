#!/usr/bin/env bash
# Issue 20's attacks with figures, against a real service on loopback with two API-key tenants (a, b): live floods
# sent faster than real time while uploads and /healthz are timed, empty frames, 2,300 wrong keys. Runs twice: with
# the default per-key stream limit (25: all 20 open, the pacing alone is measured), and with it at 4.
# Usage: bash tools/probes/attack.sh [--api <built Rtser.Api folder>]   (the default builds this checkout)
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${RTSER_PROBE_DIR:-/tmp/rtser-attack}
mkdir -p "$WORK"
API=""
[ "${1:-}" = "--api" ] && API=$2
SERVICE_PID=""
cleanup() { [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null || true; }
trap cleanup EXIT

dotnet build -c Release benchmarks/Rtser.Perf --nologo -v quiet >/dev/null
PERF=benchmarks/Rtser.Perf/bin/Release/net10.0/Rtser.Perf.dll
if [ -z "$API" ]; then
  dotnet build -c Release src/Rtser.Api --nologo -v quiet >/dev/null
  API="$WORK/api"; rm -rf "$API"; cp -r src/Rtser.Api/bin/Release/net10.0 "$API"
fi
DATA=${RTSER_DATASETS:-$PWD/../shared/datasets}
dotnet "$PERF" wav --dir "$DATA/emodb/wav" --seconds 3 --out "$WORK/speech-3s.wav"

run() {
  PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$WORK/data"; mkdir -p "$WORK/data"
  ASPNETCORE_ENVIRONMENT=Production dotnet "$API/Rtser.Api.dll" --urls "http://127.0.0.1:$PORT" --Rtser:DataDirectory "$WORK/data" \
    --Rtser:ApiKeys:a key-a-0123456789 --Rtser:ApiKeys:b key-b-9876543210 --Rtser:LiveIdleSeconds 10 \
    --Logging:LogLevel:Default Warning "$@" > "$WORK/service.log" 2>&1 &
  SERVICE_PID=$!
  for _ in $(seq 1 1500); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.02; done
  echo "service args: ${*:-defaults}; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  dotnet "$PERF" attack --url "http://127.0.0.1:$PORT" --key-a key-a-0123456789 --key-b key-b-9876543210 \
    --wav "$WORK/speech-3s.wav" --dir "$DATA/emodb/wav" --streams 20 --seconds 300 --max-wall 30 --idle-limit 10 | tee -a "$WORK/attack.jsonl"
  kill "$SERVICE_PID"; wait "$SERVICE_PID" 2>/dev/null || true; SERVICE_PID=""
}
: > "$WORK/attack.jsonl"
run
run --Rtser:MaxLiveStreamsPerCaller 4
