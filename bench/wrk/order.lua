-- Paid order: POST /api/v1/orders with the full state of a new paid order (a unique id per request)
-- for a random customer. One atomic write that prices the order with the program's earn rules, the
-- running place_order campaign and the customer's tier multiplier (run.sh creates them before the
-- runs), posts the earned points to the ledger, updates total_spent, re-evaluates the customer's
-- tier and writes order.updated (and points/tier events).
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local counter, nonce = 0, nil
function next_request()
  -- wrk starts afresh for every run: the time and a random number keep order ids of runs apart.
  nonce = nonce or string.format("%d%06d", os.time(), math.random(999999))
  local i = random_customer()
  counter = counter + 1
  local id = string.format("bench-%s-%d-%d", nonce, thread_id or 1, counter)
  local cents = math.random(500, 25000)
  return wrk.format("POST", "/api/v1/orders", json_headers, string.format(
    '{"id":"%s","customer_id":"%s","total":%d.%02d,"status":"paid","items":[{"product_id":"sku-%d","quantity":1}]}',
    id, ids[i], math.floor(cents / 100), cents % 100, math.random(50)))
end
dofile(here .. "common.lua")
