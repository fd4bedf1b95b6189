-- +goose Up
-- The WhatsApp Business Account that owns a phone number's templates.
ALTER TABLE accounts ADD COLUMN business_account_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE accounts DROP COLUMN business_account_id;
