-- Shared by the wrk scripts of the suite: thread numbering, keys and a JSON summary.
-- Settings come from the environment (the suite sets them): BENCH_TOKEN, BENCH_BODY,
-- BENCH_NONCE (8 hex digits, unique per run), BENCH_KEYS (replay: how many fixed keys).

local M = {}
local next_thread = 0

function M.setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_number", next_thread)
end

-- An Idempotency-Key: a UUID-shaped string, 8-4-4-4-12 hex, from the run nonce, the thread
-- number and a counter. Unique per (run, thread, counter), so no two requests share one.
function M.key(nonce, thread, counter)
  local high = math.floor(counter / 4294967296)
  local low = counter % 4294967296
  return string.format("%s-%04x-4%03x-8%03x-%04x%08x", nonce, thread % 65536, high % 4096, 0, 0, low)
end

-- The headers of an authenticated JSON POST with the run's token (BENCH_TOKEN).
function M.json_headers()
  return {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }
end

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d},"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,' ..
    '"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end

return M
