-- Any keyed write route (bench/routes.py): BENCH_METHOD and BENCH_PATH name it, BENCH_BODY is its
-- JSON body, in which "%d" becomes a number unique to the request (a new key each request) or,
-- when BENCH_KEYS > 0 (a replay run), the index of a key the warm-up already used with that body.
package.path = os.getenv("BENCH_LUA_PATH") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

local counter = 0
local headers, template, nonce, keys, method, path

function init(args)
  nonce = os.getenv("BENCH_NONCE")
  template = os.getenv("BENCH_BODY")
  keys = tonumber(os.getenv("BENCH_KEYS"))
  method = os.getenv("BENCH_METHOD")
  path = os.getenv("BENCH_PATH")
  headers = common.json_headers()
end

function request()
  counter = counter + 1
  local key, number
  if keys > 0 then
    number = (counter * 7 + thread_number * 131) % keys
    key = common.key(nonce, 0, number)
  else
    number = thread_number * 1000000000 + counter
    key = common.key(nonce, thread_number, counter)
  end
  headers["Idempotency-Key"] = key
  return wrk.format(method, path, headers, string.gsub(template, "%%d", tostring(number)))
end
