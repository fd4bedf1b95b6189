-- +goose Up
-- Outbound files uploaded with POST /v1/media for a later send (issue 18).
-- The content is sealed (AES-256-GCM, the media id as associated data) and
-- short-lived: a row is deleted once expires_at passes, or shortly after
-- the send that used it (used_at). Customer media is never stored here:
-- inbound attachments stay platform URLs.
CREATE TABLE media (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    filename     TEXT NOT NULL,
    size         BIGINT NOT NULL,
    content      BLOB NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    used_at      TIMESTAMP
);
CREATE INDEX media_org ON media (org_id);
CREATE INDEX media_expires ON media (expires_at);

-- +goose Down
DROP INDEX media_expires;
DROP INDEX media_org;
DROP TABLE media;
