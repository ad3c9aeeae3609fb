-- camrelay schema on PostgreSQL, version 2 (as migrations/0002): whether a targeted message
-- was given to its device.
ALTER TABLE messages ADD COLUMN given INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_target ON messages(account_id, target, stamp);
