-- +goose Up
CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX organizations_name ON organizations (name);

CREATE TABLE brands (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
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
    credentials  BLOB NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    UNIQUE (org_id, platform, native_id)
);
CREATE INDEX accounts_org ON accounts (org_id, id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE INDEX api_keys_org ON api_keys (org_id, id);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE accounts;
DROP TABLE brands;
DROP TABLE organizations;
