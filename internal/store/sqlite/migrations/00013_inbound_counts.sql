-- +goose Up
-- Inbound messages per organisation and month, in shards: every recording
-- transaction adds its batch's count, and with one row per organisation
-- (plan_usage.inbound) concurrent recordings, on one replica or several,
-- queued on that row's lock until each committed; sends reserving their
-- interaction on the same row queued behind them. A recording adds to one
-- shard of sixteen, picked at random; a reading sums them.
CREATE TABLE plan_inbound (
    org_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    month  TEXT NOT NULL,
    shard  INTEGER NOT NULL,
    n      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, month, shard)
);
INSERT INTO plan_inbound (org_id, month, shard, n)
    SELECT org_id, month, 0, inbound FROM plan_usage WHERE inbound > 0;

-- +goose Down
UPDATE plan_usage SET inbound = (SELECT COALESCE(SUM(n), 0) FROM plan_inbound
    WHERE plan_inbound.org_id = plan_usage.org_id AND plan_inbound.month = plan_usage.month);
DROP TABLE plan_inbound;
