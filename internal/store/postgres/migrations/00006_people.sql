-- +goose Up
-- People who sign in to the inbox app (DESIGN §8), distinct from API keys.
-- An email signs in to one organisation, so it is unique across all of
-- them (kept lower-cased). password_hash is an argon2id PHC string, '' until
-- the person sets a password (a sign-in link works without one).
CREATE TABLE people (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX people_org ON people (org_id, id);

-- One-time sign-in links: only the SHA-256 of the secret is kept, and
-- using one is a compare-and-swap on used_at, so a link works once.
CREATE TABLE signin_links (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    person_id   TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    token_hash  BYTEA NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX signin_links_expiry ON signin_links (expires_at);

-- Server-side sessions of the app, keyed by the SHA-256 of the cookie's
-- secret: a database leak yields no usable cookie, and deleting a row
-- signs that browser out.
CREATE TABLE web_sessions (
    id_hash     BYTEA PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    person_id   TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_person ON web_sessions (person_id);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- +goose Down
DROP TABLE web_sessions;
DROP TABLE signin_links;
DROP TABLE people;
