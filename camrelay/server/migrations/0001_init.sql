-- camrelay schema, version 1: accounts, sessions, devices, records, messages, config.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    pw_hash TEXT NOT NULL,
    created REAL NOT NULL
);

CREATE TABLE sessions (
    shash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    device TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    last_seen REAL NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_account ON sessions(account_id);

-- Per device of an account: the newest message stamp handed to it, and its sync point.
CREATE TABLE devices (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    device TEXT NOT NULL,
    given_stamp TEXT NOT NULL DEFAULT '',
    sync_stamp TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, device)
) WITHOUT ROWID;

-- AUTOINCREMENT: a deleted record id is never handed out again.
CREATE TABLE records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    device TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '',
    stamp TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX records_account_stamp ON records(account_id, stamp, device);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    sender TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    msg TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    stamp TEXT NOT NULL
);
CREATE INDEX messages_account_stamp ON messages(account_id, stamp);

CREATE TABLE account_config (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (account_id, kind)
) WITHOUT ROWID;
