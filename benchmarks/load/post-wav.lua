-- wrk: POST one WAV file (RTSER_WAV) as audio/wav to /api/predictions on every request; prints one
-- machine-readable line at the end. Non-2xx answers count as errors (wrk's summary.errors.status).
local f = assert(io.open(os.getenv("RTSER_WAV"), "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.path = "/api/predictions"
wrk.body = body
wrk.headers["Content-Type"] = "audio/wav"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
