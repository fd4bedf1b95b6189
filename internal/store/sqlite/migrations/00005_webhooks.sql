-- +goose Up
-- Events are recorded once (dedupe_key) and delivered to every matching
-- endpoint; attempts keep each delivery try for listing and replay.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    dedupe_key  TEXT NOT NULL,
    payload     BLOB NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (org_id, dedupe_key)
);
CREATE INDEX events_org ON events (org_id, id);

CREATE TABLE webhook_endpoints (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url                TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    event_types        TEXT NOT NULL DEFAULT '',
    secret             BLOB NOT NULL,
    previous_secret    BLOB,
    previous_until     TIMESTAMP,
    enabled            BOOLEAN NOT NULL,
    disabled_reason    TEXT NOT NULL DEFAULT '',
    failing_since      TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
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
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id, id);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_endpoints;
DROP TABLE events;
