#!/bin/sh
# Issue 15's throughput and latency figures, side by side in one run, as a
# table (Markdown), each with the load average when it was taken:
#
#   PostgreSQL ingest (BenchmarkInboundAck, 16 senders; acknowledged, and
#     recorded from the first post until the last is recorded) vs pgbench, 32 clients
#     inserting one 600-byte row per transaction, on the same database;
#   SQLite ingest vs a one-row-per-transaction WAL insert loop on the same
#     disk (BenchmarkSQLiteInsertLoop) and vs a do-nothing handler;
#   inbound→endpoint p50/p99 at an open-loop 200 events/s, both backends;
#   sustained outbound delivery to a local endpoint (BenchmarkDeliveryThroughput);
#   PostgreSQL ingest through 1, 2 and 3 `parley serve` replicas behind a
#     round-robin proxy (go run ./test/bench/replicas, 32 senders).
#
#   test/bench/run.sh [seconds per timed load, default 10]
#
# Needs pgbench and psql (Debian: postgresql-client) and PostgreSQL at
# PARLEY_TEST_DATABASE_URL (default the local test database). Takes about
# five minutes. Benchmarks only: nothing here runs under `go test ./...`.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-10}
url=${PARLEY_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
export CI=true PARLEY_TEST_DATABASE_URL="$url"
work=$(mktemp -d)
table=bench_insert_$$
trap 'rm -rf "$work"; psql -q "$url" -c "DROP TABLE IF EXISTS $table" >/dev/null 2>&1 || true' EXIT

load() { cut -d' ' -f1 /proc/loadavg; }
row() { printf '| %s | %s | %s |\n' "$1" "$2" "$(load)" >>"$work/table"; }
# bench NAME BENCH BENCHTIME METRIC...: runs one benchmark of the compiled
# internal/api test binary and prints the named metrics of its result line.
bench() {
  name=$1 pattern=$2 n=$3
  shift 3
  line=$("$work/api.test" -test.run XXX -test.bench "^${pattern}\$" -test.benchtime "$n" 2>&1 | grep -E '^Benchmark' | tail -1)
  [ -n "$line" ] || { echo "benchmark $pattern failed" >&2; exit 1; }
  vals=""
  for m in "$@"; do
    v=$(echo "$line" | awk -v m="$m" '{for (i = 2; i <= NF; i++) if ($i == m) print $(i-1)}')
    vals="$vals${vals:+ / }$v $m"
  done
  row "$name" "$vals"
  echo "$name: $vals" >&2
}

echo "building…" >&2
go test -c -o "$work/api.test" ./internal/api
go build -o "$work/parley" ./cmd/parley
printf '| figure | value | load (1 min) |\n|---|---|---|\n' >"$work/table"
row "start" "$(nproc) cores"

# pgbench: one row the size of a journalled event, one commit per row.
PGOPTIONS="-c client_min_messages=warning" psql -q "$url" -c "DROP TABLE IF EXISTS $table" \
  -c "CREATE TABLE $table (id bigserial PRIMARY KEY, org_id text NOT NULL, payload bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
echo "INSERT INTO $table (org_id, payload) VALUES ('org', convert_to(repeat('x', 600), 'UTF8'));" >"$work/insert.sql"
for c in 32 1; do
  tps=$(pgbench -n -c "$c" -j 2 -T "$secs" -f "$work/insert.sql" "$url" 2>/dev/null | sed -n 's/^tps = \([0-9]*\).*/\1/p')
  row "pgbench one-row insert, $c client(s)" "$tps tps"
  echo "pgbench $c: $tps" >&2
done

bench "PostgreSQL ingest (16 senders): acknowledged / recorded" 'BenchmarkInboundAck/postgres' 5000x events/s recorded/s
bench "SQLite ingest (16 senders): acknowledged / recorded" 'BenchmarkInboundAck/sqlite' 5000x events/s recorded/s
bench "SQLite one-row-per-transaction WAL insert loop" 'BenchmarkSQLiteInsertLoop' 5000x rows/s
bench "do-nothing handler (16 senders)" 'BenchmarkInboundAck/noop-handler' 20000x events/s
bench "inbound→endpoint at 200/s, SQLite" 'BenchmarkInboundToEndpoint/sqlite' "$((secs * 200))x" p50-ms p99-ms
bench "inbound→endpoint at 200/s, PostgreSQL" 'BenchmarkInboundToEndpoint/postgres' "$((secs * 200))x" p50-ms p99-ms
bench "outbound deliveries, PostgreSQL" 'BenchmarkDeliveryThroughput/postgres' 5000x deliveries/s
bench "outbound deliveries, SQLite" 'BenchmarkDeliveryThroughput/sqlite' 5000x deliveries/s

go run ./test/bench/replicas -parley "$work/parley" -replicas 1,2,3 -seconds "$secs" | while read -r line; do
  echo "$line" >&2
  n=$(echo "$line" | sed -n 's/.*replicas=\([0-9]*\).*/\1/p')
  rate=$(echo "$line" | sed -n 's/.* events\/s=\([0-9]*\).*/\1/p')
  rec=$(echo "$line" | sed -n 's/.*recorded\/s=\([0-9]*\).*/\1/p')
  errs=$(echo "$line" | sed -n 's/.*errors=\([0-9]*\).*/\1/p')
  row "PostgreSQL ingest, $n replica(s) behind a proxy (32 senders): acknowledged / recorded" "$rate events/s / $rec recorded/s ($errs errors)"
done
echo
cat "$work/table"
