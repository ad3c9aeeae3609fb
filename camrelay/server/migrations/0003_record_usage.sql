-- camrelay schema, version 3: the bytes of records each account stores, kept by triggers, so the
-- storage quota (config kind 7) is checked without summing every record of the account.
CREATE TABLE record_usage (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    bytes INTEGER NOT NULL
);

INSERT INTO record_usage(account_id, bytes)
    SELECT account_id, SUM(size) FROM records GROUP BY account_id;

CREATE TRIGGER records_usage_insert AFTER INSERT ON records BEGIN
    INSERT INTO record_usage(account_id, bytes) VALUES(NEW.account_id, NEW.size)
        ON CONFLICT(account_id) DO UPDATE SET bytes = bytes + excluded.bytes;
END;

CREATE TRIGGER records_usage_delete AFTER DELETE ON records BEGIN
    UPDATE record_usage SET bytes = bytes - OLD.size WHERE account_id = OLD.account_id;
END;
