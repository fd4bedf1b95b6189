-- +goose Up
-- Plans (DESIGN §9). An organisation's plan, by name in the server's plan
-- table; '' follows PARLEY_DEFAULT_PLAN (organisations made before plans
-- existed, or by `parley keys create`).
ALTER TABLE organizations ADD COLUMN plan TEXT NOT NULL DEFAULT '';

-- What an organisation used in one UTC calendar month ('YYYY-MM'):
-- interactions (messages sent; each is reserved by one conditional upsert
-- before the platform is called, so a limit holds under concurrency and
-- across replicas) and inbound messages (counted for information, never
-- limited).
CREATE TABLE plan_usage (
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    month        TEXT NOT NULL,
    interactions INTEGER NOT NULL DEFAULT 0,
    inbound      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, month)
);

-- +goose Down
DROP TABLE plan_usage;
ALTER TABLE organizations DROP COLUMN plan;
