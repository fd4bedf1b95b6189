-- +goose Up
-- Hosted connect sessions (DESIGN §7). The secret in the hosted URL is kept
-- only as its SHA-256, like API keys. A session moves pending → started (the
-- hosted page was opened, the state was issued) → connected or failed, each
-- step a compare-and-swap, so a URL or a state works once.
CREATE TABLE connect_sessions (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    brand_id      TEXT NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    platform      TEXT NOT NULL,
    -- The account to reconnect under its own id; '' connects a new one.
    account_id    TEXT NOT NULL DEFAULT '',
    redirect_url  TEXT NOT NULL DEFAULT '',
    secret_hash   BLOB NOT NULL UNIQUE,
    -- The PKCE verifier, sealed with the session id as associated data.
    verifier      BLOB,
    status        TEXT NOT NULL,
    result_account_id TEXT NOT NULL DEFAULT '',
    error_code    TEXT NOT NULL DEFAULT '',
    expires_at    TIMESTAMP NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX connect_sessions_org ON connect_sessions (org_id, id);

-- What a refreshable credential needs besides its access token: when it
-- expires, the sealed refresh token (account id as associated data, like
-- credentials), the granted scopes, a version that every credential change
-- bumps (refreshes compare-and-swap on it), and a lease so one replica
-- refreshes an account at a time.
ALTER TABLE accounts ADD COLUMN token_expires_at TIMESTAMP;
ALTER TABLE accounts ADD COLUMN refresh_credentials BLOB;
ALTER TABLE accounts ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN credentials_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN refresh_lease_until TIMESTAMP;
CREATE INDEX accounts_token_expiry ON accounts (platform, token_expires_at);

-- +goose Down
DROP INDEX accounts_token_expiry;
ALTER TABLE accounts DROP COLUMN refresh_lease_until;
ALTER TABLE accounts DROP COLUMN credentials_version;
ALTER TABLE accounts DROP COLUMN scopes;
ALTER TABLE accounts DROP COLUMN refresh_credentials;
ALTER TABLE accounts DROP COLUMN token_expires_at;
DROP TABLE connect_sessions;
