-- Mixed: 80% balance reads (GET customer by id), 20% awards (POST +1..100), random customers.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
function next_request()
  local i = random_customer()
  if math.random(100) <= 20 then
    return wrk.format("POST", "/api/v1/customers/" .. ids[i] .. "/points_transactions", json_headers,
      '{"points":' .. math.random(100) .. '}')
  end
  return wrk.format("GET", "/api/v1/customers/" .. ids[i], auth_headers)
end
dofile(here .. "common.lua")
