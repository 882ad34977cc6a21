-- Deduct points: POST {"points": -1..-5} to random customers whose seeded balance is at least 100,
-- so that a run never hits insufficient_points (which would show as non-2xx answers).
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
function wants_customer(balance) return balance >= 100 end
function next_request()
  local i = random_customer()
  return wrk.format("POST", "/api/v1/customers/" .. ids[i] .. "/points_transactions", json_headers,
    '{"points":-' .. math.random(5) .. '}')
end
dofile(here .. "common.lua")
