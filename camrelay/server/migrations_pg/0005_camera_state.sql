-- camrelay schema on PostgreSQL, version 5 (as migrations/0005): each camera's state-sync
-- values, one row per key; the value is JSON text.
CREATE TABLE camera_state (
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    device TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (account_id, device, key)
);
