-- Award points: POST /api/v1/customers/{id}/points_transactions {"points": 1..100} to random customers.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
function next_request()
  local i = random_customer()
  return wrk.format("POST", "/api/v1/customers/" .. ids[i] .. "/points_transactions", json_headers,
    '{"points":' .. math.random(100) .. '}')
end
dofile(here .. "common.lua")
