#!/usr/bin/env bash
# Dashboard page-load benchmark (docs/PERFORMANCE.md, "Dashboard pages"): seeds (or reuses) a SQLite dataset
# with bench/Patron.Bench.Seed, creates a dashboard owner, starts the server (Release) on 127.0.0.1, signs in
# with curl and times each page: the overview, the customers list (first page, a later page, a search) and
# a customer's detail, and the POS lookup. Prints median, p95 and max per page and writes them to
# bench/results/<date>-admin-pages-sqlite-<customers>.md.
#
#   bench/admin-pages.sh                       100,000 customers / 1,000,000 ledger entries
#   bench/admin-pages.sh --customers 1000000 --entries 10000000     the issue's 1M-customer target
#
# Options (environment variable in brackets):
#   --customers N   [BENCH_CUSTOMERS]   default 100000
#   --entries N     [BENCH_ENTRIES]     default 1000000
#   --requests N    [BENCH_REQUESTS]    timed requests per page, one at a time (default 30), after 3 untimed
#   --port P        [BENCH_PORT]        server port (default: a free one)
#   --no-build                          use the existing Release build
#
# One request at a time (a person at a browser), so each number is a page's own server time plus curl's.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/server.sh
ROOT=$PWD

CUSTOMERS=${BENCH_CUSTOMERS:-100000}
ENTRIES=${BENCH_ENTRIES:-1000000}
REQUESTS=${BENCH_REQUESTS:-30}
PORT=${BENCH_PORT:-}
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --customers) CUSTOMERS=$2; shift ;;
    --entries) ENTRIES=$2; shift ;;
    --requests) REQUESTS=$2; shift ;;
    --port) PORT=$2; shift ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
KEY=sk_bench_local_only_0123456789abcdefghijklmnop   # as bench/run.sh: the server only listens on 127.0.0.1
STAMP=$(date -u +%Y%m%d-%H%M%S)
RUN_DIR=$ROOT/bench/work/runs/$STAMP-admin-pages-$CUSTOMERS
mkdir -p "$RUN_DIR"
PATRON_DLL=$ROOT/src/Patron/bin/Release/net10.0/Patron.dll
SEED_DLL=$ROOT/bench/Patron.Bench.Seed/bin/Release/net10.0/Patron.Bench.Seed.dll
SERVER_PID=""
DATA_DIR=""
log() { printf '[admin-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cleanup() {
  local rc=$?
  [ -n "$SERVER_PID" ] && stop_server "$SERVER_PID"
  [ -n "$DATA_DIR" ] && rm -rf "$DATA_DIR"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! ss -tanH "sport = :$1" 2>/dev/null | grep -q .; }
if [ -z "$PORT" ]; then
  for _ in $(seq 1 50); do PORT=$((20000 + RANDOM % 10000)); port_free "$PORT" && break; done
fi
port_free "$PORT" || { echo "port $PORT is in use" >&2; exit 1; }

if [ "$BUILD" = 1 ]; then
  log "building Release (src/Patron and bench/Patron.Bench.Seed)"
  dotnet build bench/Patron.Bench.Seed -c Release -nologo -v quiet -clp:ErrorsOnly >"$RUN_DIR/build.log" 2>&1 \
    || { cat "$RUN_DIR/build.log" >&2; echo "build failed" >&2; exit 1; }
fi
[ -f "$PATRON_DLL" ] && [ -f "$SEED_DLL" ] || { echo "Release build missing; run without --no-build" >&2; exit 1; }

# The same cached datasets as bench/run.sh (bench/work/datasets), copied for the run.
VERSION=$(cat src/Patron/Storage/Migrations/sqlite/*.sql bench/Patron.Bench.Seed/*.cs | sha256sum | cut -c1-10)
CACHE=$ROOT/bench/work/datasets/sqlite-$CUSTOMERS-$ENTRIES-$VERSION
if [ ! -f "$CACHE/ready" ]; then
  find "$ROOT/bench/work/datasets" -maxdepth 1 -name "sqlite-$CUSTOMERS-$ENTRIES-*" -exec rm -rf {} + 2>/dev/null || true
  mkdir -p "$CACHE.tmp"
  log "generating SQLite dataset: $CUSTOMERS customers, $ENTRIES ledger entries"
  dotnet "$SEED_DLL" --customers "$CUSTOMERS" --entries "$ENTRIES" --admin-key "$KEY" --provider sqlite --data "$CACHE.tmp" \
    --out "$CACHE.tmp/customers.txt" 2>"$RUN_DIR/seed.log" >"$CACHE.tmp/seed.out"
  cp "$RUN_DIR/seed.log" "$CACHE.tmp/"
  touch "$CACHE.tmp/ready"
  mv "$CACHE.tmp" "$CACHE"
else
  log "reusing cached dataset $CACHE"
fi
DATA_DIR=$RUN_DIR/data
mkdir -p "$DATA_DIR"
cp "$CACHE/patron.db" "$DATA_DIR/patron.db"
read -r CUSTOMER_ID CUSTOMER_EMAIL _ < "$CACHE/customers.txt"

# A dashboard owner; the password is a throwaway for this copy of the dataset, given on standard input.
EMAIL=bench-owner@example.com
PASSWORD=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$PASSWORD" | dotnet "$PATRON_DLL" users create --email "$EMAIL" --role owner --password-stdin --data "$DATA_DIR" \
  >"$RUN_DIR/users.log" 2>&1 || { cat "$RUN_DIR/users.log" >&2; exit 1; }

log "starting the server (Release) on http://127.0.0.1:$PORT"
env Patron__Bootstrap__AdminKey="$KEY" Patron__RateLimit__PerMinute=0 Logging__LogLevel__Default=Warning \
  dotnet "$PATRON_DLL" serve --urls "http://127.0.0.1:$PORT" --data "$DATA_DIR" >"$RUN_DIR/server.log" 2>&1 &
SERVER_PID=$!
BASE=http://127.0.0.1:$PORT
wait_for_server "$BASE" "$SERVER_PID" "$RUN_DIR/server.log"

# Sign in as a browser would: the form's antiforgery token, then the post, with one cookie jar.
JAR=$RUN_DIR/cookies.txt
TOKEN=$(curl -fsS -c "$JAR" -b "$JAR" "$BASE/admin/login" | sed -n 's/.*name="__csrf"[^>]*value="\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$TOKEN" ] || { echo "no antiforgery token on the sign-in form" >&2; exit 1; }
curl -fsS -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "__csrf=$TOKEN" --data-urlencode "email=$EMAIL" \
  --data-urlencode "password=$PASSWORD" "$BASE/admin/login"
curl -fsS -o /dev/null -b "$JAR" "$BASE/admin" || { echo "signing in failed" >&2; exit 1; }

# The customers list's second page starts after the first page's last id. The search is by part of an
# email (an exact identifier would redirect to the customer's page).
AFTER=$(curl -fsS -b "$JAR" "$BASE/admin/customers" | sed -n 's/.*starting_after=\([A-Za-z0-9_]*\).*/\1/p' | head -n 1)
PAGES=(
  "overview|/admin"
  "customers|/admin/customers"
  "customers_page2|/admin/customers?starting_after=$AFTER"
  "customers_search|/admin/customers?q=${CUSTOMER_EMAIL%%@*}"
  "customer_detail|/admin/customers/$CUSTOMER_ID"
  "pos_lookup|/admin/pos?find=$CUSTOMER_EMAIL"
)

RESULT=$ROOT/bench/results/$(date -u +%Y-%m-%d)-admin-pages-sqlite-$CUSTOMERS.md
{
  echo "# Dashboard pages, SQLite, $CUSTOMERS customers / $ENTRIES ledger entries"
  echo
  echo "- commit: $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores"
  echo "- $REQUESTS requests per page, one at a time, after 3 untimed; times in ms (curl's time_total)"
  echo
  echo "| page | path | median | p95 | max |"
  echo "|---|---|---:|---:|---:|"
} >"$RESULT"
for entry in "${PAGES[@]}"; do
  name=${entry%%|*}; path=${entry#*|}
  for _ in 1 2 3; do curl -fsS -o /dev/null -b "$JAR" "$BASE$path"; done
  for _ in $(seq 1 "$REQUESTS"); do
    curl -sS -o /dev/null -b "$JAR" -w '%{http_code} %{time_total}\n' "$BASE$path"
  done >"$RUN_DIR/$name.times"
  if grep -qv '^200 ' "$RUN_DIR/$name.times"; then
    echo "$name: a request was not answered 200 (see $RUN_DIR/$name.times)" >&2; exit 1
  fi
  awk '{ print $2 * 1000 }' "$RUN_DIR/$name.times" | sort -n | awk -v name="$name" -v path="$path" '
    { t[NR] = $1 }
    END {
      p95 = int(NR * 0.95 + 0.999); if (p95 > NR) p95 = NR
      med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
      printf "| %s | `%s` | %.1f | %.1f | %.1f |\n", name, path, med, t[p95], t[NR]
    }' >>"$RESULT"
done
cat "$RESULT"
log "written to $RESULT"
