-- +goose Up
CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX organizations_name ON organizations (name);

CREATE TABLE brands (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX brands_org ON brands (org_id, id);

CREATE TABLE accounts (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    brand_id     TEXT NOT NULL REFERENCES brands (id) ON DELETE RESTRICT,
    platform     TEXT NOT NULL,
    native_id    TEXT NOT NULL,
    display_name TEXT NOT NULL,
    status       TEXT NOT NULL,
    variant      TEXT NOT NULL DEFAULT '',
    -- The WhatsApp Business Account that owns a phone number's templates.
    business_account_id TEXT NOT NULL DEFAULT '',
    credentials  BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, platform, native_id)
);
CREATE INDEX accounts_org ON accounts (org_id, id);
-- Inbound webhooks name only the platform's account id.
CREATE INDEX accounts_native ON accounts (platform, native_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    hash         BYTEA NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_keys_org ON api_keys (org_id, id);

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
-- Meta webhooks name the participant; window_closing scans by inbound time.
CREATE INDEX conversations_participant ON conversations (account_id, participant_id);
CREATE INDEX conversations_inbound ON conversations (last_inbound_at);

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

-- WhatsApp's Cloud API has no history endpoint, so messages are journalled
-- (DESIGN §3). Bodies and names are sealed; expires_at enforces retention.
CREATE TABLE whatsapp_messages (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    wa_id       TEXT NOT NULL,
    wamid       TEXT NOT NULL,
    direction   TEXT NOT NULL,
    sealed      BYTEA NOT NULL,
    status      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (account_id, wamid)
);
CREATE INDEX whatsapp_messages_thread ON whatsapp_messages (account_id, wa_id, created_at);
CREATE INDEX whatsapp_messages_expiry ON whatsapp_messages (expires_at);

-- Events are recorded once (dedupe_key) and delivered to every matching
-- endpoint; attempts keep each delivery try for listing and replay.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    dedupe_key  TEXT NOT NULL,
    payload     BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, dedupe_key)
);
CREATE INDEX events_org ON events (org_id, id);

CREATE TABLE webhook_endpoints (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url                TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    event_types        TEXT NOT NULL DEFAULT '',
    secret             BYTEA NOT NULL,
    previous_secret    BYTEA,
    previous_until     TIMESTAMPTZ,
    enabled            BOOLEAN NOT NULL,
    disabled_reason    TEXT NOT NULL DEFAULT '',
    failing_since      TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, id);

CREATE TABLE webhook_attempts (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    event_id    TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL,
    success     BOOLEAN NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id, id);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_endpoints;
DROP TABLE events;
DROP TABLE whatsapp_messages;
DROP TABLE whatsapp_usage;
DROP TABLE rate_counters;
DROP TABLE idempotency_keys;
DROP TABLE conversations;
DROP TABLE api_keys;
DROP TABLE accounts;
DROP TABLE brands;
DROP TABLE organizations;
