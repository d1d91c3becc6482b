-- The ceiling of a write: POST /ping on the bare Litestar app (see bench/ceiling.py), with a JSON
-- body of the size and shape of the create run's.
package.path = os.getenv("BENCH_LUA_PATH") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

function init(args)
  local body = '{"projectId":"0190d6a4-2b1c-7c3e-9f00-3f1e2d4c5b6a","entryDate":"2026-11-27",' ..
    '"durationSeconds":1800,"note":"bench"}'
  req = wrk.format("POST", "/ping", {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Idempotency-Key"] = "01890a5d-ac96-774b-bcce-b302099a8057",
  }, body)
end

function request()
  return req
end
