-- +goose Up
-- When the platform last confirmed that the account's token grants it
-- (DESIGN §7). Inbound webhooks reach only accounts with a verified token
-- whose status is active. Accounts connected before tokens were verified
-- keep NULL — unverified, receiving no inbound events — until they are
-- reconnected with a token the platform confirms (PATCH /v1/accounts/{id}).
ALTER TABLE accounts ADD COLUMN verified_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE accounts DROP COLUMN verified_at;
