-- The program's VIP tiers carry a version that changes with every change to them (insert, update,
-- soft delete), in the same transaction, whichever instance, code or tool makes it. The balance update
-- returns it, so a write can use the tiers it keeps in memory when, and only when, they are the ones its
-- own transaction sees (Tiers.EvaluateAsync). Versions come from a sequence, which never
-- hands out a value twice, not even after a rollback: a rolled-back change cannot leave a version behind
-- that a later change reuses with other tiers.
ALTER TABLE programs ADD COLUMN tiers_version BIGINT NOT NULL DEFAULT 0;
CREATE SEQUENCE tiers_versions;
CREATE FUNCTION vip_tiers_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE programs SET tiers_version = nextval('tiers_versions') WHERE id = OLD.program_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE programs SET tiers_version = nextval('tiers_versions') WHERE id = NEW.program_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER vip_tiers_version AFTER INSERT OR UPDATE OR DELETE ON vip_tiers
    FOR EACH ROW EXECUTE FUNCTION vip_tiers_version();
