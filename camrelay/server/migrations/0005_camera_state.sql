-- camrelay schema, version 5 (CONTRACT §5): each camera's state-sync values, one row per key
-- that differs from its default or was ever written; the value is JSON text.
CREATE TABLE camera_state (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    device TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (account_id, device, key)
) WITHOUT ROWID;
