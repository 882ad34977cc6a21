-- Balance read: GET /api/v1/customers/{id} for random customers.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
function next_request()
  return wrk.format("GET", "/api/v1/customers/" .. ids[random_customer()], auth_headers)
end
dofile(here .. "common.lua")
