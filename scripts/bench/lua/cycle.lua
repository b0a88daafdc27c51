-- Cycles through a file of request paths (one presigned path+query a line), one request
-- each, with an optional body of N bytes. Run with one wrk thread (-t1): the offset counts
-- requests of this Lua state only.
--
-- wrk -t1 -c16 -d10s -s cycle.lua http://127.0.0.1:PORT -- PATHS METHOD BODY_BYTES OFFSET
--   OFFSET  index of the first path (so rounds continue where the previous one stopped)
-- done() prints one line "BENCHJSON {...}" with counts and latency percentiles (µs).

local paths = {}
local prepared = nil
local method, body, idx

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  method = args[2]
  local n = tonumber(args[3])
  if n > 0 then body = string.rep("v", n) elseif method == "PUT" then body = "" end
  idx = tonumber(args[4]) % #paths
  -- Preformatted requests cost wrk least; only when they fit in a few MiB.
  if #paths * ((body and #body or 0) + 400) < 32 * 1024 * 1024 then
    prepared = {}
    for i = 1, #paths do prepared[i] = wrk.format(method, paths[i], {}, body) end
  end
end

function request()
  idx = idx + 1
  if idx > #paths then idx = 1 end
  if prepared then return prepared[idx] end
  return wrk.format(method, paths[idx], {}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_write":%d,"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
