-- +goose Up
-- A conversation archived in Parley (PATCH /v1/inbox/conversations/{id}
-- {"status":"archived"}): the platforms expose no archive state, so it is
-- Parley's own metadata. NULL is active. A customer message newer than it
-- unarchives the conversation (NoteInbound, in the same statement).
ALTER TABLE conversations ADD COLUMN archived_at TIMESTAMPTZ;

-- When a journalled WhatsApp message's status last moved (the statuses
-- webhook's timestamp), reported as status_updated_at.
ALTER TABLE whatsapp_messages ADD COLUMN status_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE whatsapp_messages DROP COLUMN status_at;
ALTER TABLE conversations DROP COLUMN archived_at;
