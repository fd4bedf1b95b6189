-- +goose Up
-- Metadata Parley keeps per conversation (DESIGN §3): never message bodies.
CREATE TABLE conversations (
    account_id           TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    thread_id            TEXT NOT NULL,
    org_id               TEXT NOT NULL,
    participant_id       TEXT NOT NULL DEFAULT '',
    last_inbound_at      TIMESTAMPTZ,
    last_outbound_at     TIMESTAMPTZ,
    referral_at          TIMESTAMPTZ,
    entry_point_reply_at TIMESTAMPTZ,
    unread_count         INTEGER NOT NULL DEFAULT 0,
    updated_at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, thread_id)
);
CREATE INDEX conversations_org ON conversations (org_id, account_id);

-- Idempotent sends: the first response to a key is replayed for 24 h.
CREATE TABLE idempotency_keys (
    org_id        TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  BYTEA NOT NULL,
    state         TEXT NOT NULL,
    response_code INTEGER NOT NULL DEFAULT 0,
    response_body BYTEA,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, key)
);

-- Fixed-window counters shared by every replica (rate limits).
CREATE TABLE rate_counters (
    bucket       TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count        INTEGER NOT NULL,
    expires_at   BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- WhatsApp per-message accounting: counts per account, month, category.
CREATE TABLE whatsapp_usage (
    org_id     TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    month      TEXT NOT NULL,
    category   TEXT NOT NULL,
    free       BOOLEAN NOT NULL,
    count      INTEGER NOT NULL,
    PRIMARY KEY (account_id, month, category, free)
);

-- +goose Down
DROP TABLE whatsapp_usage;
DROP TABLE rate_counters;
DROP TABLE idempotency_keys;
DROP TABLE conversations;
