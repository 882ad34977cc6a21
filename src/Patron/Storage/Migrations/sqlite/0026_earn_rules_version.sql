-- The program's earn rules carry a version that changes with every change to them (insert, update,
-- delete), in the same transaction, whichever code or tool makes it, as the tiers do (0025). An order
-- reads it with the program's settings, so a write can use the rules it keeps in memory when, and only
-- when, they are the ones its own transaction sees (EarnRules.EnabledAsync by version). Random rather
-- than counted, for the reason 0025 gives.
ALTER TABLE programs ADD COLUMN earn_rules_version INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER earn_rules_version_insert AFTER INSERT ON earn_rules
BEGIN
    UPDATE programs SET earn_rules_version = random() WHERE id = NEW.program_id;
END;
CREATE TRIGGER earn_rules_version_update AFTER UPDATE ON earn_rules
BEGIN
    UPDATE programs SET earn_rules_version = random() WHERE id IN (NEW.program_id, OLD.program_id);
END;
CREATE TRIGGER earn_rules_version_delete AFTER DELETE ON earn_rules
BEGIN
    UPDATE programs SET earn_rules_version = random() WHERE id = OLD.program_id;
END;
