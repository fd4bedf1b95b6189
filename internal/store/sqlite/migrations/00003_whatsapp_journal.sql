-- +goose Up
-- WhatsApp's Cloud API has no history endpoint, so messages are journalled
-- (DESIGN §3). Bodies and names are sealed; expires_at enforces retention.
CREATE TABLE whatsapp_messages (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    wa_id       TEXT NOT NULL,
    wamid       TEXT NOT NULL,
    direction   TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    status      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    UNIQUE (account_id, wamid)
);
CREATE INDEX whatsapp_messages_thread ON whatsapp_messages (account_id, wa_id, created_at);
CREATE INDEX whatsapp_messages_expiry ON whatsapp_messages (expires_at);

-- +goose Down
DROP TABLE whatsapp_messages;
