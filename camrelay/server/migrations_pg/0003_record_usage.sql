-- camrelay schema on PostgreSQL, version 3 (as migrations/0003): the bytes of records each
-- account stores, kept by triggers, so the storage quota is checked without summing records.
CREATE TABLE record_usage (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    bytes BIGINT NOT NULL
);

INSERT INTO record_usage(account_id, bytes)
    SELECT account_id, SUM(size) FROM records GROUP BY account_id;

CREATE FUNCTION records_usage_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO record_usage(account_id, bytes) VALUES (NEW.account_id, NEW.size)
        ON CONFLICT (account_id) DO UPDATE SET bytes = record_usage.bytes + EXCLUDED.bytes;
    RETURN NULL;
END;
$$;
CREATE TRIGGER records_usage_insert AFTER INSERT ON records
    FOR EACH ROW EXECUTE FUNCTION records_usage_insert();

CREATE FUNCTION records_usage_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE record_usage SET bytes = bytes - OLD.size WHERE account_id = OLD.account_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER records_usage_delete AFTER DELETE ON records
    FOR EACH ROW EXECUTE FUNCTION records_usage_delete();
