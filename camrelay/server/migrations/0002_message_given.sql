-- camrelay schema, version 2: a targeted message remembers whether its device was given it, so
-- a sync deletes exactly what was handed out (CONTRACT.md §1). Rows from version 1 start as not
-- given: at worst a device receives one again, never loses one.
ALTER TABLE messages ADD COLUMN given INTEGER NOT NULL DEFAULT 0;
-- A device's unacknowledged targeted messages, however old, without walking the broadcasts.
CREATE INDEX messages_target ON messages(account_id, target, stamp);
