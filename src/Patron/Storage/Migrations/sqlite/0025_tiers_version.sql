-- The program's VIP tiers carry a version that changes with every change to them (insert, update,
-- soft delete), in the same transaction, whichever code or tool makes it. The balance update returns
-- it, so a write can use the tiers it keeps in memory when, and only when, they are the ones its own
-- transaction sees (Tiers.EvaluateAsync). The value is random rather than counted: a counter
-- rolled back with a failed change could come back with other tiers behind it; a random 64-bit value
-- repeats with a chance of one in 2^64.
ALTER TABLE programs ADD COLUMN tiers_version INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER vip_tiers_version_insert AFTER INSERT ON vip_tiers
BEGIN
    UPDATE programs SET tiers_version = random() WHERE id = NEW.program_id;
END;
CREATE TRIGGER vip_tiers_version_update AFTER UPDATE ON vip_tiers
BEGIN
    UPDATE programs SET tiers_version = random() WHERE id IN (NEW.program_id, OLD.program_id);
END;
CREATE TRIGGER vip_tiers_version_delete AFTER DELETE ON vip_tiers
BEGIN
    UPDATE programs SET tiers_version = random() WHERE id = OLD.program_id;
END;
