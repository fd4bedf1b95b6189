-- +goose Up
-- Connect sessions learn which API flavour they connect (Instagram through
-- Instagram Login or Facebook Login), the hash of the nonce in the cookie of
-- the browser that opened the hosted page (a callback completes only in that
-- browser), and the sealed assets the end customer picks from when a token
-- reaches more than one.
ALTER TABLE connect_sessions ADD COLUMN variant TEXT NOT NULL DEFAULT '';
ALTER TABLE connect_sessions ADD COLUMN browser_hash BYTEA;
ALTER TABLE connect_sessions ADD COLUMN assets BYTEA;

-- Token lifecycle: who at the platform granted the token (Meta's
-- deauthorize callback names that user, not the Page) and when the platform
-- last confirmed it (tokens that do not expire are checked daily).
ALTER TABLE accounts ADD COLUMN grantor_id TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN token_checked_at TIMESTAMPTZ;
CREATE INDEX accounts_grantor ON accounts (platform, grantor_id);

-- +goose Down
DROP INDEX accounts_grantor;
ALTER TABLE accounts DROP COLUMN token_checked_at;
ALTER TABLE accounts DROP COLUMN grantor_id;
ALTER TABLE connect_sessions DROP COLUMN assets;
ALTER TABLE connect_sessions DROP COLUMN browser_hash;
ALTER TABLE connect_sessions DROP COLUMN variant;
