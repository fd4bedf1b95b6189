#!/bin/sh
# Inbound acknowledgement rate next to what the same PostgreSQL commits on
# its own: pgbench inserting one row per transaction (32 clients, then 1),
# then BenchmarkInboundAck (do-nothing handler, SQLite, PostgreSQL), in one
# run so the figures share the machine's state. Prints the load average
# before and after: on a shared machine, compare only figures of one run.
#
#   test/bench/inbound.sh [seconds per pgbench run, default 10]
#
# test/bench/run.sh is the fuller set (SQLite yardstick, latency, delivery,
# replicas) as one table.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-10}
url=${PARLEY_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
script=$(mktemp)
trap 'rm -f "$script"; psql -q "$url" -c "DROP TABLE IF EXISTS parley_bench_insert" >/dev/null 2>&1 || true' EXIT
# One row the size of a journalled event, one commit per row.
psql -q "$url" -c "DROP TABLE IF EXISTS parley_bench_insert" \
  -c "CREATE TABLE parley_bench_insert (id bigserial PRIMARY KEY, org_id text NOT NULL, payload bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
echo "INSERT INTO parley_bench_insert (org_id, payload) VALUES ('org', convert_to(repeat('x', 600), 'UTF8'));" >"$script"
echo "load: $(cat /proc/loadavg)"
for c in 32 1; do
  printf 'pgbench, one-row insert per transaction, %2d clients: ' "$c"
  pgbench -n -c "$c" -j 2 -T "$secs" -f "$script" "$url" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1 tps/p'
done
go test -run XXX -bench 'InboundAck' -benchtime 3000x ./internal/api | grep -E 'Benchmark|ok|FAIL'
echo "load: $(cat /proc/loadavg)"
