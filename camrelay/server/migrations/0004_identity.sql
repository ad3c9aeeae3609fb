-- camrelay schema, version 4 (CONTRACT §4): users with roles and camera scopes, device keys,
-- tokens, registered cameras. Each account becomes an account with one admin user of the same
-- name and password hash, so no one has to reset anything.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL UNIQUE,
    pw_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    cameras TEXT,  -- JSON array of device names; NULL: every camera of the account
    server_admin INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE INDEX users_account ON users(account_id);

INSERT INTO users(account_id, name, pw_hash, role, created)
    SELECT id, name, pw_hash, 'admin', created FROM accounts;

-- The users hold the hashes now; a stale copy here would outlive a password change.
ALTER TABLE accounts DROP COLUMN pw_hash;

CREATE TABLE device_keys (
    id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    device TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL,
    revoked REAL,
    last_used REAL,
    uses INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX device_keys_account ON device_keys(account_id, device);

CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created REAL NOT NULL,
    last_used REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE cameras (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '',
    public INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

-- A session belongs to the user or the device key that opened it and ends with it.
ALTER TABLE sessions ADD COLUMN user_id INTEGER REFERENCES users(id) ON DELETE CASCADE;
ALTER TABLE sessions ADD COLUMN key_id TEXT REFERENCES device_keys(id) ON DELETE CASCADE;
UPDATE sessions SET user_id = (SELECT u.id FROM users u WHERE u.account_id = sessions.account_id);
