-- The ceiling: GET /ping on the bare Litestar app (see bench/ceiling.py).
package.path = os.getenv("BENCH_LUA_PATH") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

function init(args)
  req = wrk.format("GET", "/ping", {["Accept"] = "application/json"})
end

function request()
  return req
end
