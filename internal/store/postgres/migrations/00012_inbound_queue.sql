-- +goose Up
-- Verified platform webhooks, appended before the platform is answered and
-- removed in the transaction that records what they say (ingest.Accept):
-- a 200 means the body is here, so a replica killed before processing it
-- loses nothing. body is sealed (package secrets, the id as associated
-- data): it holds customers' messages. next_at is when a sweep may take a
-- row the replica that appended it has not processed (a grace after
-- receipt, then a backoff after each failure).
CREATE TABLE inbound_queue (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    body BYTEA NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    next_at TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inbound_queue_next ON inbound_queue (next_at);

-- +goose Down
DROP TABLE inbound_queue;
