#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster on 127.0.0.1 from the machine's binaries and prints
# its connection string (for PATRON_TEST_POSTGRES) on the last line.
# Usage: .ci/postgres.sh [DIR] [PORT]      Stop it with: pg_ctl -D DIR stop (as user postgres)
set -euo pipefail
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DIR=${1:-$(mktemp -d /tmp/patron-pg.XXXXXX)}
PORT=${2:-55432}
[ -x "$BIN/initdb" ] || { echo "PostgreSQL 15 binaries not found in $BIN (apt-get install postgresql-15)" >&2; exit 1; }
mkdir -p "$DIR"
chown postgres "$DIR"
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
if [ ! -f "$DIR/PG_VERSION" ]; then
  run "'$BIN/initdb' -D '$DIR' -U postgres --auth=trust -E UTF8 >/dev/null"
fi
# Durable like production (fsync on); sized for a 2-core test machine.
run "'$BIN/pg_ctl' -D '$DIR' -l '$DIR/server.log' -w -o \"-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories='$DIR' -c max_connections=300 -c shared_buffers=256MB\" start >/dev/null"
echo "Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50"
