#!/usr/bin/env bash
# Measures the CPU an idle Parley uses: starts it, lets it settle, then reads
# its user+system clock ticks from /proc/<pid>/stat over a window.
#
#   test/idle/idlecpu.sh sandbox            # SQLite, emulators, seeded data
#   test/idle/idlecpu.sh serve-postgres     # serve on PostgreSQL (PARLEY_TEST_DATABASE_URL or the local test db)
#
# WINDOW (seconds, default 60) and SETTLE (default 10) tune the measurement.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-sandbox}
window=${WINDOW:-60}
settle=${SETTLE:-10}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/parley" ./cmd/parley
export PARLEY_LISTEN=127.0.0.1:0 PARLEY_LOG_LEVEL=error PARLEY_DATA_DIR="$work/data"
case "$mode" in
  sandbox)
    "$work/parley" sandbox >"$work/out" 2>&1 &
    ;;
  serve-postgres)
    db=${PARLEY_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
    schema="parley_idle_$$"
    PGOPTIONS="-c client_min_messages=warning" psql "$db" -qc "CREATE SCHEMA $schema" >/dev/null
    trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; PGOPTIONS="-c client_min_messages=warning" psql "$db" -qc "DROP SCHEMA $schema CASCADE" >/dev/null; rm -rf "$work"' EXIT
    sep='?'; case "$db" in *\?*) sep='&';; esac
    export PARLEY_DATABASE_URL="$db${sep}search_path=$schema"
    export PARLEY_SECRET_KEYS=$("$work/parley" secrets generate)
    "$work/parley" keys create --org idle --name idle >/dev/null
    "$work/parley" serve >"$work/out" 2>&1 &
    ;;
  *) echo "usage: $0 sandbox|serve-postgres" >&2; exit 2 ;;
esac
pid=$!
sleep "$settle"
kill -0 "$pid" || { cat "$work/out"; exit 1; }
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
a=$(ticks); sleep "$window"; b=$(ticks)
awk -v t=$((b - a)) -v hz="$hz" -v w="$window" -v m="$mode" \
  'BEGIN { printf "%s: %.2f s of CPU in %d s idle = %.2f %% of one core\n", m, t / hz, w, 100 * t / hz / w }'
