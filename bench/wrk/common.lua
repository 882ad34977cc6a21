-- Shared by the scenario scripts. wrk runs one Lua state per thread plus one for setup()/done().
-- Script arguments (after wrk's "--"):  CUSTOMERS_FILE API_KEY [TARGET_RATE]
--   CUSTOMERS_FILE  lines "id email external_id phone balance" written by Patron.Bench.Seed
--   TARGET_RATE     total requests/s over all threads; absent or 0 = as fast as possible.
-- A scenario script defines next_request() (and optionally wants_customer(balance)) and then
-- does: dofile(<dir>/common.lua).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } patron_timespec;
  int clock_gettime(int clock_id, patron_timespec *tp);
]]
local ts = ffi.new("patron_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

-- main state: number the threads so each seeds its own random sequence, and keep them for done().
-- With PATRON_WRK_HOSTS ("host:port host:port ...", bench/run.sh --instances), thread i connects to the
-- i-th server, round robin, instead of the URL's.
local all_threads = {}
local servers = nil
function setup(thread)
  table.insert(all_threads, thread)
  thread:set("thread_id", #all_threads)
  local hosts = os.getenv("PATRON_WRK_HOSTS")
  if hosts ~= nil and hosts ~= "" then
    if servers == nil then
      servers = {}
      for host, port in hosts:gmatch("([^%s:]+):(%d+)") do
        table.insert(servers, wrk.lookup(host, port)[1])
      end
    end
    thread.addr = servers[(#all_threads - 1) % #servers + 1]
  end
end

ids, emails, customers_count = {}, {}, 0
auth_headers = nil
json_headers = nil
local interval_ms = nil
local next_slot = nil

function init(args)
  local file, key, rate = args[1], args[2], tonumber(args[3] or "0")
  if file == nil or key == nil then
    error("usage: wrk ... -s SCRIPT URL -- CUSTOMERS_FILE API_KEY [TARGET_RATE]")
  end
  math.randomseed(os.time() * 97 + (thread_id or 1) * 7919)
  for _ = 1, 10 do math.random() end
  local want = wants_customer
  for line in io.lines(file) do
    local id, email, _, _, balance = line:match("^(%S+) (%S+) (%S+) (%S+) (%-?%d+)")
    if id and (want == nil or want(tonumber(balance))) then
      customers_count = customers_count + 1
      ids[customers_count] = id
      emails[customers_count] = email
    end
  end
  if customers_count == 0 then error("no usable customers in " .. file) end
  auth_headers = { ["Authorization"] = "Bearer " .. key }
  json_headers = { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }
  if rate and rate > 0 then
    -- wrk's -t threads share the rate; each keeps its own schedule of send slots.
    local threads = tonumber(os.getenv("PATRON_WRK_THREADS") or "1")
    interval_ms = 1000 * threads / rate
  end
end

function random_customer()
  return math.random(customers_count)
end

-- Each thread times its own sends: wrk starts thread 1 while thread 2 is still in init() (reading
-- the customers file), but divides every thread's requests by the same, shorter, window.
sent, first_send_ms, last_send_ms = 0, 0, 0
function request()
  local t = now_ms()
  if sent == 0 then first_send_ms = t end
  sent = sent + 1
  last_send_ms = t
  return next_request()
end

-- Throttle (latency runs): every send takes the next slot of a fixed schedule and waits for it.
-- A send that is late goes at once (catch-up), so the offered rate stays at the target while
-- connections are free. Latency is timed by wrk from the actual send, as in any closed-loop tool
-- (no coordinated-omission correction as in wrk2).
function delay()
  if interval_ms == nil then return 0 end
  local now = now_ms()
  if next_slot == nil then next_slot = now end
  next_slot = next_slot + interval_ms
  local wait = next_slot - now
  if wait < 1 then return 0 end
  return math.floor(wait)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  -- rps: the sum of each thread's own send rate over its own sending window.
  local rps = 0
  for _, t in ipairs(all_threads) do
    local n, span = t:get("sent"), t:get("last_send_ms") - t:get("first_send_ms")
    if n > 1 and span > 0 then rps = rps + (n - 1) * 1000 / span end
  end
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f rps=%.1f wrk_rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, seconds, rps, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
