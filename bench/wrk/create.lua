-- Create throughput: POST /time-entries with a valid body, each request with its own
-- Idempotency-Key (so every request creates an entry).
package.path = os.getenv("BENCH_LUA_PATH") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

local counter = 0
local headers, body, nonce

function init(args)
  nonce = os.getenv("BENCH_NONCE")
  body = os.getenv("BENCH_BODY")
  headers = common.json_headers()
end

function request()
  counter = counter + 1
  headers["Idempotency-Key"] = common.key(nonce, thread_number, counter)
  return wrk.format("POST", "/time-entries", headers, body)
end
