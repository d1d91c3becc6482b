-- GET BENCH_PATH with the bearer token (for probing single endpoints).
package.path = os.getenv("BENCH_LUA_PATH") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

function init(args)
  local headers = {["Accept"] = "application/json"}
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  req = wrk.format("GET", os.getenv("BENCH_PATH"), headers)
end

function request()
  return req
end
