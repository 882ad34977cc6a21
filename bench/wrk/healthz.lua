-- The trivial endpoint: GET /healthz (no auth, no database). The ceiling for the other scenarios.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local req = nil
function next_request()
  if req == nil then req = wrk.format("GET", "/healthz") end
  return req
end
dofile(here .. "common.lua")
