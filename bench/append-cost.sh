#!/usr/bin/env bash
# What an append costs PostgreSQL itself, without Node: pgbench, one client, against
#  - eventstore.append_to_stream (one event to a new stream, as the adapter sends it),
#  - a plain INSERT into eventstore.events (the same row, its three indexes, no function),
#  - a plain INSERT into a table with one index (the floor: a commit and its disk flush).
# Usage: npm run build && bench/append-cost.sh [seconds=8]   (needs psql and pgbench; BENCHMARKS.md quotes it)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-8}"
db="eventix_bench_append_$$"
server="${BENCH_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432/postgres}"
url="${server%/*}/$db"
work="$(mktemp -d)"
trap 'psql "$server" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$work"' EXIT
psql "$server" -qc "CREATE DATABASE $db"
node -e "import('./dist/src/write/event-store/postgres.event-store.js').then(async ({ PostgresEventStore }) => { const s = new PostgresEventStore({ connectionString: '$url' }); await s.migrate(); await s.close(); })"
psql "$url" -qc "CREATE TABLE plain (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream_name text, event_type text, data jsonb, metadata jsonb)"
data='{"bookingId":"b","items":[{"seatId":"s","priceMinor":6000}],"totalMinor":6000}'
metadata='{"correlationId":"c","causationId":null,"userId":"u","occurredAt":"2026-01-01T00:00:00.000Z","schemaVersion":1}'
cat > "$work/append.sql" <<SQL
SELECT * FROM eventstore.append_to_stream('bench-' || gen_random_uuid(), 'no_stream',
  ('[{"eventId":"' || gen_random_uuid() || '","type":"BookingPlaced","data":$data,"metadata":$metadata,"digest":"d"}]')::jsonb);
SQL
cat > "$work/events-insert.sql" <<SQL
INSERT INTO eventstore.events (stream_name, stream_revision, event_id, event_type, data, metadata)
VALUES ('bench-' || gen_random_uuid(), 0, gen_random_uuid(), 'BookingPlaced', '$data', '$metadata');
SQL
cat > "$work/plain-insert.sql" <<SQL
INSERT INTO plain (stream_name, event_type, data, metadata) VALUES ('bench-' || gen_random_uuid(), 'BookingPlaced', '$data', '$metadata');
SQL
for script in append events-insert plain-insert; do
  latency="$(pgbench "$url" -n -c 1 -T "$seconds" -f "$work/$script.sql" 2>/dev/null | sed -n 's/^latency average = //p')"
  echo "$script: $latency per transaction (pgbench, 1 client, ${seconds} s)"
done
