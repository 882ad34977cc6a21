-- The program's earn rules carry a version that changes with every change to them (insert, update,
-- delete), in the same transaction, whichever instance, code or tool makes it, as the tiers do (0025).
-- An order reads it with the program's settings, so a write can use the rules it keeps in memory when,
-- and only when, they are the ones its own statement sees (EarnRules.EnabledAsync by version). Random
-- rather than counted or taken from a sequence, for the reasons 0025 gives.
ALTER TABLE programs ADD COLUMN earn_rules_version BIGINT NOT NULL DEFAULT 0;
CREATE FUNCTION earn_rules_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE programs SET earn_rules_version = ('x' || md5(gen_random_uuid()::text))::bit(64)::bigint WHERE id = OLD.program_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE programs SET earn_rules_version = ('x' || md5(gen_random_uuid()::text))::bit(64)::bigint WHERE id = NEW.program_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER earn_rules_version AFTER INSERT OR UPDATE OR DELETE ON earn_rules
    FOR EACH ROW EXECUTE FUNCTION earn_rules_version();
