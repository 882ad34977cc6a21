-- A voucher code's row names the redemption that holds it, and a code is looked up through the row's
-- unique index (program, code), which already makes every code of a program one of a kind. Redemptions
-- then keep no index on their code of their own, nor one by customer and reward beside the one by
-- customer (a reward's limit counts among the customer's redemptions): two index entries fewer, on
-- pages spread all over their indexes, per redemption (docs/PERFORMANCE.md, 2026-12-07).
ALTER TABLE voucher_codes ADD COLUMN redemption_id TEXT NULL;

-- Every redemption has its code's row; one that had none (none is known) gets it, so no code is lost
-- (its id, vch_red_..., cannot be one Patron makes: those have no second underscore).
INSERT INTO voucher_codes (id, program_id, reward_id, code, status, created_at, issued_at)
SELECT 'vch_' || r.id, r.program_id, r.reward_id, r.discount_code, 'issued', r.created_at, r.created_at
FROM redemptions r
WHERE NOT EXISTS (SELECT 1 FROM voucher_codes v WHERE v.program_id = r.program_id AND v.code = r.discount_code);

UPDATE voucher_codes SET redemption_id = (
    SELECT r.id FROM redemptions r WHERE r.program_id = voucher_codes.program_id AND r.discount_code = voucher_codes.code)
WHERE status <> 'available';

DROP INDEX ux_redemptions_code;
DROP INDEX ix_redemptions_reward;
