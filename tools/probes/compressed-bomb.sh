#!/usr/bin/env bash
# Issue 20 item 2: memory of compressed "bombs". Builds and starts a copy of the API on a free port, makes a
# 364 KB WebM/Opus holding 600 s of silence with ffmpeg, posts it once and then six times at once, and prints
# the service's peak RSS (VmHWM, reset before each phase through /proc/PID/clear_refs) and the wall time of each.
# Usage: bash tools/probes/compressed-bomb.sh [extra service arguments, e.g. --Rtser:MaxAudioSecondsInFlight 600]
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${RTSER_PROBE_DIR:-/tmp/rtser-bomb}
mkdir -p "$WORK"
command -v ffmpeg >/dev/null || { echo "ffmpeg is needed to make the bomb (bash tools/setup.sh)" >&2; exit 1; }
SERVICE_PID=""
cleanup() { [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null || true; }
trap cleanup EXIT

echo "[probe] building src/Rtser.Api (Release) at $(git rev-parse --short HEAD 2>/dev/null || echo '?')" >&2
dotnet build -c Release src/Rtser.Api --nologo -v quiet >/dev/null
API="$WORK/api"
rm -rf "$API"; cp -r src/Rtser.Api/bin/Release/net10.0 "$API"
BOMB="$WORK/bomb.webm"
[ -s "$BOMB" ] || ffmpeg -nostdin -y -loglevel error -f lavfi -i anullsrc=r=48000:cl=mono -t 600 -c:a libopus -b:a 6k "$BOMB"

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA="$WORK/data"
rm -rf "$DATA"; mkdir -p "$DATA"
ASPNETCORE_ENVIRONMENT=Production dotnet "$API/Rtser.Api.dll" --urls "http://127.0.0.1:$PORT" \
  --Rtser:DataDirectory "$DATA" --Rtser:RateLimitPerMinute 0 --Logging:LogLevel:Default Warning "$@" > "$WORK/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 1 1500); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.02
done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "service did not become ready" >&2; cat "$WORK/service.log" >&2; exit 1; }

mb() { awk -v k="$1" '$1 == k":" {printf "%.0f", $2/1024}' "/proc/$SERVICE_PID/status"; }
reset_peak() { echo 5 > "/proc/$SERVICE_PID/clear_refs" 2>/dev/null || echo "[probe] cannot reset VmHWM; peaks are cumulative" >&2; }
post() { curl -s -o "$WORK/response-$1.json" -w '%{http_code} ' -H 'Content-Type: audio/webm' --data-binary "@$BOMB" "http://127.0.0.1:$PORT/api/predictions"; }

echo "bomb: $(stat -c %s "$BOMB") bytes, 600 s of silence (WebM/Opus 6 kb/s); cores: $(nproc); service args: ${*:-none}"
echo "idle: RSS $(mb VmRSS) MB"
for n in 1 6; do
  reset_peak
  start=$(date +%s.%N)
  codes=$(for i in $(seq 1 "$n"); do post "$n-$i" & done; wait)
  end=$(date +%s.%N)
  printf '%d at once: HTTP %s| %.1f s | peak RSS (VmHWM) %s MB | RSS after %s MB\n' "$n" "$(echo $codes | tr ' ' '\n' | sort | uniq -c | awk '{printf "%sx%s ", $1, $2}')" "$(echo "$end - $start" | bc)" "$(mb VmHWM)" "$(mb VmRSS)"
done
