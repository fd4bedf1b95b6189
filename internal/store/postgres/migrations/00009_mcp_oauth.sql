-- +goose Up
-- Parley as the OAuth 2.1 authorization server of its MCP endpoint
-- (DESIGN §5). Clients register themselves (RFC 7591) as public clients with
-- exact redirect URIs. Codes and tokens are kept only as their SHA-256, like
-- API keys, and bound to one organisation and the /mcp resource. Tokens of
-- one authorization share a family: a refresh rotates within it, and a
-- replayed refresh token revokes the whole family.
CREATE TABLE oauth_clients (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL DEFAULT '',
    redirect_uris TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE oauth_codes (
    hash          BYTEA PRIMARY KEY,
    client_id     TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL,
    redirect_uri  TEXT NOT NULL,
    challenge     TEXT NOT NULL,
    scope         TEXT NOT NULL,
    resource      TEXT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    used_at       TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE oauth_tokens (
    hash          BYTEA PRIMARY KEY,
    kind          TEXT NOT NULL,
    family        TEXT NOT NULL,
    client_id     TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL,
    scope         TEXT NOT NULL,
    resource      TEXT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    used_at       TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX oauth_tokens_family ON oauth_tokens (family);

-- +goose Down
DROP INDEX oauth_tokens_family;
DROP TABLE oauth_tokens;
DROP TABLE oauth_codes;
DROP TABLE oauth_clients;
