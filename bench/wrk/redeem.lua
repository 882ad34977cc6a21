-- Redeem: POST /api/v1/customers/{id}/redemptions {"reward_id": REWARD_ID} to random customers whose
-- seeded balance is at least 100, for a generated-code reward costing 1 point (one atomic write:
-- ledger deduction + unique code insert + redemption row + event). run.sh creates the reward and
-- passes its id in REWARD_ID; by hand:
--   curl -s -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
--     -d '{"name":"bench","type":"custom","points_cost":1}' http://127.0.0.1:5080/api/v1/rewards
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
local reward = os.getenv("REWARD_ID") or error("set REWARD_ID to a reward id (rwd_...) costing 1 point")
function wants_customer(balance) return balance >= 100 end
function next_request()
  local i = random_customer()
  return wrk.format("POST", "/api/v1/customers/" .. ids[i] .. "/redemptions", json_headers,
    '{"reward_id":"' .. reward .. '"}')
end
dofile(here .. "common.lua")
