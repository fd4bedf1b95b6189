-- +goose Up
-- How far the customer has received (delivered_at) and read (read_at) the
-- business's messages of a conversation, from the platforms' delivery and
-- read receipts. Meta's receipts are watermarks (every message sent at or
-- before the time is delivered / read) and its history API carries no
-- status, so Parley keeps them to report a sent message's status.
ALTER TABLE conversations ADD COLUMN delivered_at TIMESTAMP;
ALTER TABLE conversations ADD COLUMN read_at TIMESTAMP;

-- +goose Down
ALTER TABLE conversations DROP COLUMN read_at;
ALTER TABLE conversations DROP COLUMN delivered_at;
