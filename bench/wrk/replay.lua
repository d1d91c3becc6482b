-- Replay throughput: POST /time-entries with keys from a fixed set that a warm-up has already
-- used with the same body, so every request is answered from the idempotency record.
package.path = os.getenv("BENCH_LUA_PATH") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

local counter = 0
local headers, body, nonce, keys

function init(args)
  nonce = os.getenv("BENCH_NONCE")
  body = os.getenv("BENCH_BODY")
  keys = tonumber(os.getenv("BENCH_KEYS"))
  headers = common.json_headers()
end

function request()
  -- Threads start at different offsets and walk the whole set.
  counter = counter + 1
  local index = (counter * 7 + thread_number * 131) % keys
  headers["Idempotency-Key"] = common.key(nonce, 0, index)
  return wrk.format("POST", "/time-entries", headers, body)
end
