-- Customer lookup by email: GET /api/v1/customers/{email} for random customers.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
function next_request()
  return wrk.format("GET", "/api/v1/customers/" .. emails[random_customer()], auth_headers)
end
dofile(here .. "common.lua")
