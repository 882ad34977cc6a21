-- The program's VIP tiers carry a version that changes with every change to them (insert, update,
-- soft delete), in the same transaction, whichever instance, code or tool makes it. The balance update
-- returns it, so a write can use the tiers it keeps in memory when, and only when, they are the ones its
-- own transaction sees (Tiers.EvaluateAsync). The value is random (64 bits of a hashed
-- gen_random_uuid(), built in since PostgreSQL 13) rather than counted or taken from a sequence: a counter
-- rolled back with a failed change, or a sequence set back by a point-in-time recovery or a failover,
-- could hand a version out again with other tiers behind it; a random 64-bit value repeats with a
-- chance of one in 2^64.
ALTER TABLE programs ADD COLUMN tiers_version BIGINT NOT NULL DEFAULT 0;
CREATE FUNCTION vip_tiers_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE programs SET tiers_version = ('x' || md5(gen_random_uuid()::text))::bit(64)::bigint WHERE id = OLD.program_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE programs SET tiers_version = ('x' || md5(gen_random_uuid()::text))::bit(64)::bigint WHERE id = NEW.program_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER vip_tiers_version AFTER INSERT OR UPDATE OR DELETE ON vip_tiers
    FOR EACH ROW EXECUTE FUNCTION vip_tiers_version();
