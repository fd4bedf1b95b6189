-- +goose Up
-- How far the customer has received (delivered_at) and read (read_at) the
-- business's messages of a conversation, from the platforms' delivery and
-- read receipts. Meta's receipts are watermarks (every message sent at or
-- before the time is delivered / read) and its history API carries no
-- status, so Parley keeps them to report a sent message's status.
ALTER TABLE conversations ADD COLUMN delivered_at TIMESTAMPTZ;
ALTER TABLE conversations ADD COLUMN read_at TIMESTAMPTZ;

-- Accounts whose DMs Parley polls (X without Account Activity webhooks):
-- the newest event id seen, so a poll resumes there, and when the next
-- poll is due, pushed back while the account is idle.
CREATE TABLE poll_state (
    account_id   TEXT NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    newest_id    TEXT NOT NULL DEFAULT '',
    idle_polls   INTEGER NOT NULL DEFAULT 0,
    next_poll_at TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX poll_state_due ON poll_state (next_poll_at);

-- +goose Down
DROP TABLE poll_state;
ALTER TABLE conversations DROP COLUMN read_at;
ALTER TABLE conversations DROP COLUMN delivered_at;
