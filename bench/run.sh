#!/usr/bin/env bash
# Patron benchmark, one command: builds Release, generates (or reuses) a dataset, starts the server
# on 127.0.0.1 with rate limiting off, runs the wrk scenarios, prints a table, stops everything.
#
#   bench/run.sh                      quick: SQLite, 100,000 customers / 1,000,000 ledger entries
#   bench/run.sh --full               1,000,000 customers / 10,000,000 ledger entries
#   bench/run.sh --db postgres        throwaway PostgreSQL 15 cluster from .ci/postgres.sh
#
# Options (environment variable in brackets):
#   --db sqlite|postgres   [BENCH_DB]           database (default sqlite)
#   --full                                      1M customers / 10M entries
#   --customers N          [BENCH_CUSTOMERS]    default 100000
#   --entries N            [BENCH_ENTRIES]      default 1000000
#   --duration S           [BENCH_DURATION]     seconds per wrk run (default 7)
#   --connections C        [BENCH_CONNECTIONS]  wrk connections (default 64)
#   --threads T            [BENCH_THREADS]      wrk threads (default 2)
#   --runs R               [BENCH_RUNS]         runs of each scenario; the table shows medians (default 3)
#   --warmup S             [BENCH_WARMUP]       seconds of warm-up per scenario before measuring (default 2)
#   --max-other C          [BENCH_MAX_OTHER]    repeat a run if other processes used more than C cores (default 0.4)
#   --retries N            [BENCH_RETRIES]      how often at most (default 1; the last attempt counts)
#   --wait-quiet S         [BENCH_WAIT_QUIET]   before measuring, wait up to S seconds for the rest of the
#                                               machine to use less than --max-other cores (default 0: don't wait)
#   --nice N               [BENCH_NICE]         run the server, PostgreSQL and wrk at this niceness (e.g. -10 on
#                                               a shared machine: needs root; the report says so)
#   --scenarios "a b"      [BENCH_SCENARIOS]    subset of: healthz award deduct balance lookup_email mixed order redeem
#   --set NAME=VALUE                            server configuration for this run, as an environment variable
#                                               (repeatable), e.g. --set Patron__Database__GroupCommit=false
#   --import N             [BENCH_IMPORT]       after the runs, time the CLI import of a CSV of N new customers
#                                               into an empty database (default: as many as --customers; 0: skip)
#   --no-latency                                skip the throttled (half-rate) latency runs
#   --latency-rate R       [BENCH_LATENCY_RATE] run the latency runs at R req/s instead of half the measured rate
#                                              (to compare two builds at the same rate)
#   --port P               [BENCH_PORT]         server port (default: a free one)
#   --instances N          [BENCH_INSTANCES]    (postgres) N servers on the one database, each on its own port; wrk's
#                                               threads are spread over them (thread i to server i mod N), so give
#                                               at least N threads. CPU and writes-per-commit columns add up all N.
#   --fresh                                     regenerate the cached SQLite dataset
#   --no-build                                  use the existing Release build
#   --ref COMMIT           [BENCH_REF]          benchmark a commit instead of the working tree: its source is
#                                               exported (git archive) to bench/work/src/<sha>/ and built there,
#                                               with this checkout's bench/ (for before/after comparisons)
#   --label TEXT           [BENCH_LABEL]        name for the results file
#   --pg-stats                                  (postgres) load pg_stat_statements, reset it after the warm-up and,
#                                               after the runs, print the top statements by total time and the
#                                               WAL written (also in pg-stats.txt in the run's directory)
#
# Load only ever goes to 127.0.0.1. Results: a table on standard output, the same table in
# bench/results/<date>-<db>-<customers>.md, raw wrk output under bench/work/runs/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. bench/server.sh

DB=${BENCH_DB:-sqlite}
CUSTOMERS=${BENCH_CUSTOMERS:-100000}
ENTRIES=${BENCH_ENTRIES:-1000000}
DURATION=${BENCH_DURATION:-7}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
RUNS=${BENCH_RUNS:-3}
WARMUP=${BENCH_WARMUP:-2}
MAX_OTHER=${BENCH_MAX_OTHER:-0.4}
RETRIES=${BENCH_RETRIES:-1}
SCENARIOS=${BENCH_SCENARIOS:-"healthz award deduct balance lookup_email mixed order redeem"}
IMPORT=${BENCH_IMPORT:-}
SERVER_SET=()
PORT=${BENCH_PORT:-}
INSTANCES=${BENCH_INSTANCES:-1}
LABEL=${BENCH_LABEL:-}
REF=${BENCH_REF:-}
WAIT_QUIET=${BENCH_WAIT_QUIET:-0}
NICE=${BENCH_NICE:-0}
LATENCY=1
LATENCY_RATE=${BENCH_LATENCY_RATE:-}
PG_STATS=0
FRESH=0
BUILD=1

usage() { sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --db) DB=$2; shift ;;
    --postgres) DB=postgres ;;
    --full) CUSTOMERS=1000000; ENTRIES=10000000 ;;
    --customers) CUSTOMERS=$2; shift ;;
    --entries) ENTRIES=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --scenarios) SCENARIOS=$2; shift ;;
    --max-other) MAX_OTHER=$2; shift ;;
    --retries) RETRIES=$2; shift ;;
    --no-latency) LATENCY=0 ;;
    --latency-rate) LATENCY_RATE=$2; shift ;;
    --pg-stats) PG_STATS=1 ;;
    --port) PORT=$2; shift ;;
    --instances) INSTANCES=$2; shift ;;
    --fresh) FRESH=1 ;;
    --no-build) BUILD=0 ;;
    --label) LABEL=$2; shift ;;
    --set) case "$2" in *=*) SERVER_SET+=("$2") ;; *) echo "--set takes NAME=VALUE" >&2; exit 2 ;; esac; shift ;;
    --import) IMPORT=$2; shift ;;
    --ref) REF=$2; shift ;;
    --wait-quiet) WAIT_QUIET=$2; shift ;;
    --nice) NICE=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$DB" in sqlite|postgres) ;; *) echo "--db must be sqlite or postgres" >&2; exit 2 ;; esac
case "$INSTANCES" in [1-9]) ;; *) echo "--instances must be 1 to 9" >&2; exit 2 ;; esac
[ "$INSTANCES" = 1 ] || [ "$DB" = postgres ] || { echo "--instances above 1 needs --db postgres (one server serves a SQLite database)" >&2; exit 2; }
[ "$THREADS" -ge "$INSTANCES" ] || { echo "--threads must be at least --instances, so that every server gets load" >&2; exit 2; }
IMPORT=${IMPORT:-$CUSTOMERS}
for s in $SCENARIOS; do
  [ -f "bench/wrk/$s.lua" ] || { echo "unknown scenario: $s" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ "$DB" = postgres ] || command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed (apt-get install sqlite3)" >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
KEY=sk_bench_local_only_0123456789abcdefghijklmnop   # a fixed admin key: the server only listens on 127.0.0.1
STAMP=$(date -u +%Y%m%d-%H%M%S)
RUN_DIR=$ROOT/bench/work/runs/$STAMP-$DB-$CUSTOMERS
mkdir -p "$RUN_DIR"
# The source under test: the working tree, or an exported commit (--ref) with this checkout's generator.
SRC=$ROOT
if [ -n "$REF" ]; then
  SHA=$(git rev-parse --verify --short "$REF^{commit}") || { echo "unknown commit: $REF" >&2; exit 2; }
  SRC=$ROOT/bench/work/src/$SHA
  if [ ! -f "$SRC/.exported" ]; then
    rm -rf "$SRC"; mkdir -p "$SRC"
    git archive "$SHA" | tar -x -C "$SRC"
    touch "$SRC/.exported"
  fi
  mkdir -p "$SRC/bench/Patron.Bench.Seed"
  cp bench/Patron.Bench.Seed/*.cs bench/Patron.Bench.Seed/*.csproj "$SRC/bench/Patron.Bench.Seed/"
fi
PATRON_DLL=$SRC/src/Patron/bin/Release/net10.0/Patron.dll
SEED_DLL=$SRC/bench/Patron.Bench.Seed/bin/Release/net10.0/Patron.Bench.Seed.dll
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
SERVER_PID=""    # the first server's; with --instances, SERVER_PIDS holds them all
SERVER_PIDS=()
OLD_AUTOGROUP_NICE=""
PGDIR=""
DATA_DIR=""
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi; }  # as .ci/postgres.sh

cleanup() {
  local rc=$?
  local pid
  for pid in "${SERVER_PIDS[@]}"; do stop_server "$pid"; done
  if [ -n "$PGDIR" ] && [ -f "$PGDIR/PG_VERSION" ]; then
    as_pg "'$PG_BIN/pg_ctl' -D '$PGDIR' stop -m fast" >/dev/null 2>&1 || true
    rm -rf "$PGDIR"
  fi
  # The copied database can be gigabytes: never keep it (the cached original stays).
  [ -n "$DATA_DIR" ] && rm -rf "$DATA_DIR"
  [ -n "$OLD_AUTOGROUP_NICE" ] && echo "$OLD_AUTOGROUP_NICE" >"/proc/$$/autogroup" 2>/dev/null
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Any socket on the port counts (a client's TIME-WAIT on it makes PostgreSQL's bind fail). Ports
# are picked below the usual ephemeral range (32768-60999), where wrk's own connections land.
port_free() { ! ss -tanH "sport = :$1" 2>/dev/null | grep -q .; }
if [ -z "$PORT" ]; then
  for _ in $(seq 1 50); do
    PORT=$((20000 + RANDOM % 10000))
    port_free "$PORT" && break
  done
fi
port_free "$PORT" || { echo "port $PORT is in use" >&2; exit 1; }
PORTS=("$PORT")
while [ "${#PORTS[@]}" -lt "$INSTANCES" ]; do
  next=$((${PORTS[-1]} + 1))
  while ! port_free "$next"; do next=$((next + 1)); done
  PORTS+=("$next")
done

# With autogroup scheduling (Linux's default for desktop-like setups), niceness only ranks processes
# of one session against each other; the session's own weight is its autogroup's nice value.
boost() { # boost PID: the niceness of the process and of its autogroup
  renice -n "$NICE" -p "$1" >/dev/null
  [ -w "/proc/$1/autogroup" ] && echo "$NICE" >"/proc/$1/autogroup" 2>/dev/null || true
}
if [ "$NICE" != 0 ]; then
  [ -r /proc/$$/autogroup ] && OLD_AUTOGROUP_NICE=$(awk '{ print $3 }' /proc/$$/autogroup)
  boost $$
fi

# ---------------------------------------------------------------- build
if [ "$BUILD" = 1 ]; then
  log "building Release (src/Patron and bench/Patron.Bench.Seed)"
  dotnet build "$SRC/bench/Patron.Bench.Seed" -c Release -nologo -v quiet -clp:ErrorsOnly >"$RUN_DIR/build.log" 2>&1 \
    || { cat "$RUN_DIR/build.log" >&2; echo "build failed" >&2; exit 1; }
fi
[ -f "$PATRON_DLL" ] && [ -f "$SEED_DLL" ] || { echo "Release build missing; run without --no-build" >&2; exit 1; }

# ---------------------------------------------------------------- dataset
seed() { # seed ARGS... : runs the generator, prints its own progress on stderr
  dotnet "$SEED_DLL" --customers "$CUSTOMERS" --entries "$ENTRIES" --admin-key "$KEY" "$@" 2>&1 >"$RUN_DIR/seed.out" \
    | tee "$RUN_DIR/seed.log" | sed -u 's/^/  /' >&2
  grep '^SEED ' "$RUN_DIR/seed.out" | sed 's/^/  /' >&2
}

if [ "$DB" = sqlite ]; then
  # Cached per size and per version of the schema and the generator; copied for each run.
  VERSION=$(cat "$SRC"/src/Patron/Storage/Migrations/sqlite/*.sql bench/Patron.Bench.Seed/*.cs | sha256sum | cut -c1-10)
  CACHE=$ROOT/bench/work/datasets/sqlite-$CUSTOMERS-$ENTRIES-$VERSION
  if [ "$FRESH" = 1 ] || [ ! -f "$CACHE/ready" ]; then
    # Datasets of this size made for an older schema or generator are of no more use (and big).
    find "$ROOT/bench/work/datasets" -maxdepth 1 -name "sqlite-$CUSTOMERS-$ENTRIES-*" -exec rm -rf {} + 2>/dev/null || true
    mkdir -p "$CACHE.tmp"
    log "generating SQLite dataset: $CUSTOMERS customers, $ENTRIES ledger entries"
    seed --provider sqlite --data "$CACHE.tmp" --out "$CACHE.tmp/customers.txt"
    cp "$RUN_DIR/seed.log" "$RUN_DIR/seed.out" "$CACHE.tmp/"
    touch "$CACHE.tmp/ready"
    mv "$CACHE.tmp" "$CACHE"
  else
    log "reusing cached dataset $CACHE"
  fi
  DATA_DIR=$RUN_DIR/data
  mkdir -p "$DATA_DIR"
  cp "$CACHE/patron.db" "$DATA_DIR/patron.db"
  CUSTOMERS_FILE=$CACHE/customers.txt
  SEED_SUMMARY=$(cat "$CACHE/seed.out")
  SERVER_ENV=()
else
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 binaries not found in $PG_BIN" >&2; exit 1; }
  PGPORT=${BENCH_PGPORT:-31540}
  while ! port_free "$PGPORT"; do PGPORT=$((PGPORT + 1)); done
  PGDIR=$(mktemp -d /tmp/patron-bench-pg.XXXXXX)
  log "starting a throwaway PostgreSQL cluster on 127.0.0.1:$PGPORT"
  PG_CS=$(.ci/postgres.sh "$PGDIR" "$PGPORT" | tail -n 1) || { tail -n 20 "$PGDIR/server.log" >&2; exit 1; }
  as_pg "'$PG_BIN/psql' -q -h 127.0.0.1 -p $PGPORT -U postgres -d postgres -c 'CREATE DATABASE patron_bench'" >/dev/null
  PG_CS=${PG_CS/Database=postgres/Database=patron_bench}
  if [ "$PG_STATS" = 1 ]; then
    # Statement statistics: needs the library loaded at start, so a restart with the same settings.
    as_pg "'$PG_BIN/psql' -q -h 127.0.0.1 -p $PGPORT -U postgres -d postgres -c \"ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'\" -c 'ALTER SYSTEM SET track_io_timing = on'" >/dev/null
    as_pg "'$PG_BIN/pg_ctl' -D '$PGDIR' -w restart -m fast" >/dev/null
    as_pg "'$PG_BIN/psql' -q -h 127.0.0.1 -p $PGPORT -U postgres -d patron_bench -c 'CREATE EXTENSION pg_stat_statements' -c 'ALTER SYSTEM SET pg_stat_statements.track_planning = on' -c 'SELECT pg_reload_conf()'" >/dev/null
  fi
  if [ "$NICE" != 0 ]; then
    # Backends fork from the postmaster and inherit its niceness.
    PM=$(head -n 1 "$PGDIR/postmaster.pid")
    for p in "$PM" $(ps -o pid= --ppid "$PM"); do boost "$p"; done
  fi
  log "generating PostgreSQL dataset: $CUSTOMERS customers, $ENTRIES ledger entries (COPY)"
  seed --provider postgres --connection "$PG_CS" --out "$RUN_DIR/customers.txt"
  CUSTOMERS_FILE=$RUN_DIR/customers.txt
  SEED_SUMMARY=$(cat "$RUN_DIR/seed.out")
  DATA_DIR=$RUN_DIR/data
  mkdir -p "$DATA_DIR"
  SERVER_ENV=(Patron__Database__Provider=postgres "ConnectionStrings__Patron=$PG_CS")
fi

# query SQL: one query against the benchmark's database (sqlite3 or psql), for checks from outside the server
query() {
  if [ "$DB" = sqlite ]; then
    sqlite3 "$DATA_DIR/patron.db" "$1" 2>/dev/null
  else
    as_pg "'$PG_BIN/psql' -At -h 127.0.0.1 -p $PGPORT -U postgres -d patron_bench -c \"$1\"" 2>/dev/null
  fi
}

# ---------------------------------------------------------------- server
# start_server PORT: starts one server and waits until it answers /healthz; its pid goes to SERVER_PIDS.
# Servers start one after the other: the first runs the migrations and creates the admin key, the others
# find them done.
start_server() {
  local port=$1 pid
  log "starting the server (Release) on http://127.0.0.1:$port"
  # Rate limiting off unless a --set turns it on (e.g. --set Patron__RateLimit__PerMinute=100000000).
  env "${SERVER_ENV[@]}" Patron__RateLimit__PerMinute=0 "${SERVER_SET[@]}" Patron__Bootstrap__AdminKey="$KEY" \
    Logging__LogLevel__Default=Warning \
    nice -n "$NICE" dotnet "$PATRON_DLL" serve --urls "http://127.0.0.1:$port" --data "$DATA_DIR" \
    >"$RUN_DIR/server-$port.log" 2>&1 &
  pid=$!
  SERVER_PIDS+=("$pid")
  wait_for_server "http://127.0.0.1:$port" "$pid" "$RUN_DIR/server-$port.log"
}
for p in "${PORTS[@]}"; do start_server "$p"; done
SERVER_PID=${SERVER_PIDS[0]}
if [ "$INSTANCES" -gt 1 ]; then
  # bench/wrk/common.lua sends thread i's connections to the i-th of these (round robin).
  PATRON_WRK_HOSTS=$(printf '127.0.0.1:%s ' "${PORTS[@]}")
  export PATRON_WRK_HOSTS
fi
# Sanity: the seeded customer answers with the seeded balance.
read -r FIRST_ID FIRST_EMAIL _ _ FIRST_BALANCE < "$CUSTOMERS_FILE"
curl -fsS -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/v1/customers/$FIRST_EMAIL" >"$RUN_DIR/sanity.json" \
  || { echo "GET /customers/$FIRST_EMAIL failed" >&2; exit 1; }
grep -q "\"points_balance\":$FIRST_BALANCE[,}]" "$RUN_DIR/sanity.json" \
  || { echo "unexpected answer for $FIRST_ID: $(cat "$RUN_DIR/sanity.json")" >&2; exit 1; }

# ---------------------------------------------------------------- program setup
# The runs measure a program as a merchant would run it: earn rules, a running campaign and VIP tiers
# are in place (every order is priced through them, every earning re-evaluates the customer's tier),
# and a reward for the redemption scenario. The tiers' thresholds sit above the seeded lifetime
# points, so only customers who earn during the runs move up.
api() { # api METHOD PATH [JSON]: prints the answer; fails on anything but 2xx
  local out
  out=$(curl -sS -X "$1" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' ${3:+-d "$3"} \
    -w '\n%{http_code}' "http://127.0.0.1:$PORT/api/v1$2") || return 1
  case "${out##*$'\n'}" in 2??) printf '%s\n' "${out%$'\n'*}" ;; *) echo "$1 $2 answered: $out" >&2; return 1 ;; esac
}
json_id() { sed -n 's/^{"object":"[a-z_]*","id":"\([^"]*\)".*/\1/p'; }
log "setting up the program: earn rules, a campaign, VIP tiers, a reward"
NOW_S=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
api POST /earn_rules '{"name":"Orders","type":"place_order","points_per_unit":1}' >/dev/null
api POST /earn_rules "{\"name\":\"Double week\",\"type\":\"place_order\",\"multiplier\":2,\"starts_at\":\"$(iso $((NOW_S - 86400)))\",\"ends_at\":\"$(iso $((NOW_S + 7 * 86400)))\"}" >/dev/null
api POST /earn_rules '{"name":"Review","type":"review","points":50,"limit_period":"day","limit_count":1}' >/dev/null
MAX_LIFETIME=$(query "SELECT MAX(lifetime_points) FROM customers")
SILVER=$(( ${MAX_LIFETIME:-10000} + 1000 ))
api POST /vip_tiers "{\"name\":\"Silver\",\"points_required\":$SILVER,\"multiplier\":1.25,\"discount_type\":\"percentage\",\"discount_value\":5}" >/dev/null
api POST /vip_tiers "{\"name\":\"Gold\",\"points_required\":$((SILVER * 3)),\"multiplier\":1.5,\"free_shipping\":true}" >/dev/null
REWARD_ID=$(api POST /rewards '{"name":"Bench reward","type":"custom","points_cost":1}' | json_id)
[ -n "$REWARD_ID" ] || { echo "could not create the benchmark's reward" >&2; exit 1; }
export REWARD_ID
# A new tier makes a background pass over every customer; let it finish before measuring.
for i in $(seq 1 600); do
  [ "$(query "SELECT COUNT(*) FROM vip_tier_checks")" = 0 ] && break
  [ "$i" = 600 ] && log "the tier check of all customers is still running: measuring anyway"
  sleep 1
done
SETUP="earn rules (place_order 1 point per 1.00, a running place_order campaign x2, a review rule limited to one a day), VIP tiers Silver (x1.25 from $SILVER lifetime points) and Gold (x1.5), a 1-point reward for the redemptions"

rss_kb() { awk -v f="$1" '$1 == f":" { print $2 }' "/proc/$SERVER_PID/status"; }
RSS_START=$(rss_kb VmRSS)

# ---------------------------------------------------------------- measuring helpers
CLK_TCK=$(getconf CLK_TCK)
server_ticks() { local pid; for pid in "${SERVER_PIDS[@]}"; do cat "/proc/$pid/stat"; done | awk '{ s += $14 + $15 } END { print s + 0 }'; }
# PostgreSQL's CPU: the postmaster and its children (the server's pooled backends live for the run).
PG_PID=""
[ "$DB" = postgres ] && PG_PID=$(head -n 1 "$PGDIR/postmaster.pid")
db_ticks() {
  [ -n "$PG_PID" ] || { echo 0; return; }
  # The postmaster's own time plus its reaped children's (backends that exited), then the live children's.
  { cat "/proc/$PG_PID/stat"; for p in $(ps -o pid= --ppid "$PG_PID"); do cat "/proc/$p/stat" 2>/dev/null; done; } \
    | awk '{ sub(/^.*\) /, ""); split($0, f, " "); s += f[12] + f[13]; if (NR == 1) s += f[14] + f[15] } END { print s + 0 }'
}
machine_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
metric() { # summed over the servers
  local p
  for p in "${PORTS[@]}"; do curl -fsS "http://127.0.0.1:$p/metrics" 2>/dev/null || true; done \
    | awk -v m="$1" '$1 == m { s += $2; n++ } END { if (n) print s }'
}
RESULTS=$RUN_DIR/results.tsv
printf 'kind\tround\tscenario\ttarget_rps\trps\tp50_ms\tp90_ms\tp99_ms\tnon2xx\tsocket_errors\tserver_cpu_cores\tdb_cpu_cores\twrk_cpu_cores\tother_cpu_cores\tserver_cpu_us_per_req\tops_per_commit\twriter_busy\tlog_sync_ms\n' >"$RESULTS"

# measure KIND ROUND SCENARIO SECONDS TARGET_RATE OUT: one wrk run; prints its results.tsv line
measure() {
  local kind=$1 round=$2 scenario=$3 seconds=$4 rate=$5 out=$6
  local t0 b0 w0 o0 t1 b1 w1 o1 d0 d1 wrk_cpu s0 s1 wb0 ls0 lt0 wb1 ls1 lt1
  w0=$(metric patron_write_batches_total); o0=$(metric patron_write_operations_total)
  wb0=$(metric patron_write_busy_seconds_total); ls0=$(metric patron_write_log_syncs_total); lt0=$(metric patron_write_log_sync_seconds_total)
  t0=$(server_ticks); d0=$(db_ticks); b0=$(machine_busy); s0=$(date +%s.%N)
  local TIMEFORMAT='%U %S'
  { time PATRON_WRK_THREADS=$THREADS nice -n "$NICE" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency \
      -s "bench/wrk/$scenario.lua" "http://127.0.0.1:$PORT" -- "$CUSTOMERS_FILE" "$KEY" "$rate" >"$out" 2>&1; } 2>"$out.cpu"
  t1=$(server_ticks); d1=$(db_ticks); b1=$(machine_busy); s1=$(date +%s.%N)
  w1=$(metric patron_write_batches_total); o1=$(metric patron_write_operations_total)
  wb1=$(metric patron_write_busy_seconds_total); ls1=$(metric patron_write_log_syncs_total); lt1=$(metric patron_write_log_sync_seconds_total)
  wrk_cpu=$(awk '{ print $1 + $2 }' "$out.cpu")
  [ "$kind" = warmup ] && return 0
  grep -q '^RESULT ' "$out" || { echo "wrk produced no result for $scenario:" >&2; cat "$out" >&2; return 1; }
  awk -v kind="$kind" -v round="$round" -v sc="$scenario" -v target="$rate" -v s0="$s0" -v s1="$s1" \
      -v t0="$t0" -v t1="$t1" -v d0="$d0" -v d1="$d1" -v pg="${PG_PID:+1}" -v b0="$b0" -v b1="$b1" -v hz="$CLK_TCK" -v wcpu="$wrk_cpu" \
      -v w0="${w0:-0}" -v w1="${w1:-0}" -v o0="${o0:-0}" -v o1="${o1:-0}" \
      -v wb0="${wb0:-0}" -v wb1="${wb1:-0}" -v ls0="${ls0:-0}" -v ls1="${ls1:-0}" -v lt0="${lt0:-0}" -v lt1="${lt1:-0}" '
    /^RESULT / {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
      # CPU figures are averages over the whole window (wrk start to exit), in cores.
      secs = s1 - s0; server = (t1 - t0) / hz; db = (d1 - d0) / hz; busy = (b1 - b0) / hz
      other = busy - server - db - wcpu; if (other < 0) other = 0
      dbc = pg ? sprintf("%.2f", db / secs) : "-"
      per_req = r["requests"] > 0 ? server * 1e6 / r["requests"] : 0
      opc = (w1 - w0) > 0 ? sprintf("%.1f", (o1 - o0) / (w1 - w0)) : "-"
      # The SQLite writer: the share of the window it spent in its transactions, and the mean sync of its log.
      wbusy = (wb1 - wb0) > 0 ? sprintf("%.2f", (wb1 - wb0) / secs) : "-"
      syncms = (ls1 - ls0) > 0 ? sprintf("%.2f", (lt1 - lt0) * 1000 / (ls1 - ls0)) : "-"
      printf "%s\t%s\t%s\t%s\t%.0f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%.2f\t%s\t%.2f\t%.2f\t%.0f\t%s\t%s\t%s\n", kind, round, sc, target, r["rps"], \
        r["p50_ms"], r["p90_ms"], r["p99_ms"], r["non2xx"], r["socket_errors"], server / secs, dbc, wcpu / secs, other / secs, per_req, opc, wbusy, syncms
    }' "$out"
}

# run_wrk KIND ROUND SCENARIO SECONDS [TARGET_RATE]
# A run during which the rest of the machine used more than MAX_OTHER cores is repeated (at most
# RETRIES times, the last attempt counts whatever it shows): the decision depends only on the
# noise, never on the result.
REPEATED=0
run_wrk() {
  local kind=$1 round=$2 scenario=$3 seconds=$4 rate=${5:-0} line attempt
  for attempt in $(seq 0 "$RETRIES"); do
    line=$(measure "$kind" "$round" "$scenario" "$seconds" "$rate" "$RUN_DIR/$kind-$round-$scenario.$attempt.txt") || return 1
    [ "$kind" = warmup ] && return 0
    if [ "$attempt" -lt "$RETRIES" ] && awk -F'\t' -v max="$MAX_OTHER" '{ exit !($14 > max) }' <<<"$line"; then
      awk -F'\t' '{ printf "  %-8s %-13s repeating: the rest of the machine used %s cores\n", $1 "#" $2, $3, $14 }' <<<"$line" >&2
      REPEATED=$((REPEATED + 1))
      sleep 3
      continue
    fi
    break
  done
  printf '%s\n' "$line" >>"$RESULTS"
  awk -F'\t' '{ printf "  %-8s %-13s %8s req/s  p50 %6s ms  p99 %7s ms  non-2xx %s  cores: server %s, db %s, wrk %s, other %s; writer busy %s, log sync %s ms\n", \
    $1 "#" $2, $3, $5, $6, $8, $9, $11, $12, $13, $14, $17, $18 }' <<<"$line" >&2
}

# median COLUMN KIND SCENARIO  (column numbers as in results.tsv)
median() {
  awk -F'\t' -v c="$1" -v k="$2" -v s="$3" 'NR > 1 && $1 == k && $3 == s && $c != "-" { print $c }' "$RESULTS" | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---------------------------------------------------------------- runs
if [ "$WAIT_QUIET" -gt 0 ]; then
  log "waiting up to ${WAIT_QUIET}s for the machine to be quiet (other processes below $MAX_OTHER cores)"
  deadline=$(( $(date +%s) + WAIT_QUIET ))
  while :; do
    b0=$(machine_busy); t0=$(server_ticks); d0=$(db_ticks); sleep 5
    other=$(awk -v b="$(( $(machine_busy) - b0 ))" -v t="$(( $(server_ticks) - t0 ))" -v d="$(( $(db_ticks) - d0 ))" -v hz="$CLK_TCK" \
      'BEGIN { printf "%.2f", (b - t - d) / hz / 5 }')
    if awk -v o="$other" -v m="$MAX_OTHER" 'BEGIN { exit !(o <= m) }'; then log "quiet: other processes at $other cores"; break; fi
    [ "$(date +%s)" -ge "$deadline" ] && { log "still busy (other processes at $other cores): measuring anyway"; break; }
  done
fi
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "$WARMUP" -gt 0 ]; then
  log "warm-up: ${WARMUP}s per scenario"
  for s in $SCENARIOS; do run_wrk warmup 0 "$s" "$WARMUP"; done
fi
if [ "$PG_STATS" = 1 ]; then
  query "SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal')" >/dev/null
  query "SELECT pg_stat_reset()" >/dev/null
fi
for round in $(seq 1 "$RUNS"); do
  log "round $round of $RUNS (${DURATION}s per scenario, $CONNECTIONS connections, $THREADS wrk threads)"
  for s in $SCENARIOS; do run_wrk load "$round" "$s" "$DURATION"; done
done

LAT_SCENARIOS=""
if [ "$LATENCY" = 1 ]; then
  for s in award balance lookup_email; do
    case " $SCENARIOS " in *" $s "*) LAT_SCENARIOS="$LAT_SCENARIOS $s" ;; esac
  done
  for round in $(seq 1 "$RUNS"); do
    for s in $LAT_SCENARIOS; do
      m=$(median 5 load "$s")
      rate=$(awk -v m="$m" 'BEGIN { r = int(m / 2); print (r < 1 ? 1 : r) }')
      [ -n "$LATENCY_RATE" ] && rate=$LATENCY_RATE
      [ "$round" = 1 ] && log "latency at ${LATENCY_RATE:+a fixed rate (--latency-rate), not }half the measured rate: $s at $rate req/s (Lua-throttled wrk)"
      run_wrk half "$round" "$s" "$DURATION" "$rate"
    done
  done
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "$PG_STATS" = 1 ]; then
  # Per statement: total and mean execution time, calls, rows, buffers and WAL per call; then the WAL totals.
  {
    echo "top statements by total execution time (pg_stat_statements, measured rounds only):"
    as_pg "'$PG_BIN/psql' -h 127.0.0.1 -p $PGPORT -U postgres -d patron_bench -P pager=off -c \"
      SELECT round(total_exec_time::numeric, 0) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms, calls,
             plans, round(total_plan_time::numeric, 0) AS plan_ms,
             round(rows::numeric / GREATEST(calls, 1), 2) AS rows_per_call,
             round((shared_blks_hit + shared_blks_read)::numeric / GREATEST(calls, 1), 1) AS blks_per_call,
             round(shared_blks_dirtied::numeric / GREATEST(calls, 1), 2) AS dirtied_per_call,
             round(wal_bytes::numeric / GREATEST(calls, 1), 0) AS wal_bytes_per_call,
             left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
      FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'patron_bench')
      ORDER BY total_exec_time DESC LIMIT 25\""
    as_pg "'$PG_BIN/psql' -h 127.0.0.1 -p $PGPORT -U postgres -d patron_bench -P pager=off -c \"
      SELECT wal_records, wal_fpi, pg_size_pretty(wal_bytes) AS wal, wal_write, wal_sync, round(wal_sync_time::numeric, 0) AS sync_ms,
             (SELECT xact_commit FROM pg_stat_database WHERE datname = 'patron_bench') AS commits
      FROM pg_stat_wal\""
    echo "rows written per table (HOT: updates that touched no index) and reads served by each index:"
    as_pg "'$PG_BIN/psql' -h 127.0.0.1 -p $PGPORT -U postgres -d patron_bench -P pager=off -c \"
      SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables
      WHERE n_tup_ins + n_tup_upd + n_tup_del > 0 ORDER BY n_tup_ins + n_tup_upd DESC\" -c \"
      SELECT relname, indexrelname, idx_scan, idx_tup_read FROM pg_stat_user_indexes
      WHERE relname IN ('customers', 'points_transactions', 'events', 'webhook_deliveries') ORDER BY relname, indexrelname\""
  } >"$RUN_DIR/pg-stats.txt" 2>&1
  cat "$RUN_DIR/pg-stats.txt" >&2
fi
RSS_END=$(rss_kb VmRSS)
RSS_PEAK=$(rss_kb VmHWM)

# Integrity after the load, in one pass over the ledger: every balance equals the sum of its
# available entries, what is left in its expiry lots adds up to max(balance, 0), none is negative.
# (SQLite: "+customer_id" makes it scan and sort instead of 10M lookups through the index.)
GROUP_BY="customer_id"; [ "$DB" = sqlite ] && GROUP_BY="+customer_id"
CHECK_TAIL="SELECT SUM(CASE WHEN c.points_balance <> COALESCE(t.pts, 0) THEN 1 ELSE 0 END) || ' balances differ from the sum of their entries, ' ||
  LOTS || ' differ from the sum of their lots, ' || SUM(CASE WHEN c.points_balance < 0 THEN 1 ELSE 0 END) || ' negative, ' ||
  (SELECT COUNT(*) FROM points_transactions) || ' entries in all' FROM customers c LEFT JOIN t ON t.customer_id = c.id"
CHECK_V2="WITH t AS (SELECT customer_id, SUM(CASE WHEN status = 'available' THEN points ELSE 0 END) AS pts,
  SUM(CASE WHEN remaining > 0 THEN remaining ELSE 0 END) AS lots FROM points_transactions GROUP BY $GROUP_BY) ${CHECK_TAIL/LOTS/SUM(CASE WHEN (CASE WHEN c.points_balance > 0 THEN c.points_balance ELSE 0 END) <> COALESCE(t.lots, 0) THEN 1 ELSE 0 END)}"
CHECK_V1="WITH t AS (SELECT customer_id, SUM(points) AS pts FROM points_transactions GROUP BY $GROUP_BY) ${CHECK_TAIL/LOTS/\'n/a\'}"
for pid in "${SERVER_PIDS[@]}"; do kill "$pid"; wait "$pid" 2>/dev/null || true; done
SERVER_PIDS=(); SERVER_PID=""
log "checking balances against the ledger"
INTEGRITY=$(query "$CHECK_V2" || query "$CHECK_V1" || echo "check failed")

# ---------------------------------------------------------------- CSV import
# The CLI import (docs/CONFIGURATION.md) of IMPORT new customers, each with a starting balance, into an empty
# database of the same kind while nothing else runs: customer, ledger entry and events per row.
IMPORT_RESULT="-"
IMPORT_SECONDS=""
if [ "$IMPORT" -gt 0 ]; then
  CSV=$ROOT/bench/work/import-$IMPORT.csv
  if [ ! -f "$CSV" ]; then
    awk -v n="$IMPORT" 'BEGIN { print "external_id,email,phone,first_name,last_name,birthday,points"
      for (i = 1; i <= n; i++) printf "imp-%d,import%d@example.com,+1415%07d,First%d,Last%d,19%02d-%02d-%02d,%d\n", \
        i, i, i % 10000000, i, i, 50 + i % 50, 1 + i % 12, 1 + i % 28, (i * 37) % 1000 }' >"$CSV.tmp"
    mv "$CSV.tmp" "$CSV"
  fi
  IMPORT_DIR=$RUN_DIR/import
  mkdir -p "$IMPORT_DIR"
  IMPORT_ENV=()
  if [ "$DB" = postgres ]; then
    as_pg "'$PG_BIN/psql' -q -h 127.0.0.1 -p $PGPORT -U postgres -d postgres -c 'CREATE DATABASE patron_import'" >/dev/null
    IMPORT_ENV=(Patron__Database__Provider=postgres "ConnectionStrings__Patron=${PG_CS/Database=patron_bench/Database=patron_import}")
  fi
  cli() { env "${IMPORT_ENV[@]}" "${SERVER_SET[@]}" nice -n "$NICE" dotnet "$PATRON_DLL" "$@" --data "$IMPORT_DIR/data"; }
  cli programs create --name Import >"$IMPORT_DIR/program.out" 2>&1 || { cat "$IMPORT_DIR/program.out" >&2; exit 1; }
  log "importing $IMPORT customers from CSV through the CLI (import customers)"
  i0=$(date +%s.%N)
  cli import customers "$CSV" >"$IMPORT_DIR/import.out" 2>"$IMPORT_DIR/import.log" \
    || { tail -n 20 "$IMPORT_DIR/import.log" >&2; echo "the import failed" >&2; exit 1; }
  i1=$(date +%s.%N)
  tail -n 1 "$IMPORT_DIR/import.log" | sed 's/^/  /' >&2
  IMPORT_SECONDS=$(awk -v a="$i0" -v b="$i1" 'BEGIN { printf "%.1f", b - a }')
  IMPORT_RESULT="$IMPORT customers in $IMPORT_SECONDS s ($(awk -v n="$IMPORT" -v t="$IMPORT_SECONDS" 'BEGIN { printf "%.0f", n / t }')/s): $(cat "$IMPORT_DIR/import.out")"
  rm -rf "$IMPORT_DIR/data"
fi

# ---------------------------------------------------------------- report
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
if [ -n "$REF" ]; then
  GIT="commit $SHA (--ref $REF)"
else
  GIT="working tree at $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  DIRTY=$(git status --porcelain -- src 2>/dev/null | wc -l)
  [ "$DIRTY" -gt 0 ] && GIT="$GIT + uncommitted changes in $DIRTY src files (diff sha $(git diff -- src | sha256sum | cut -c1-8))"
fi
HEALTHZ=$(median 5 load healthz)
mb() { awk -v k="$1" 'BEGIN { printf "%.0f MB", k / 1024 }'; }
REPORT=$RUN_DIR/report.md
{
  echo "## $(date -u +%Y-%m-%d) $DB, $CUSTOMERS customers / $ENTRIES ledger entries${LABEL:+ ($LABEL)}"
  echo
  echo "- command: \`bench/run.sh --db $DB --customers $CUSTOMERS --entries $ENTRIES --duration $DURATION --connections $CONNECTIONS --threads $THREADS --runs $RUNS --import $IMPORT$([ "$INSTANCES" != 1 ] && echo " --instances $INSTANCES")${REF:+ --ref $REF}$([ "$NICE" != 0 ] && echo " --nice $NICE")$(for v in "${SERVER_SET[@]}"; do printf ' --set %s' "$v"; done)\`"
  echo "- machine: $(nproc) cores (nproc), $CPU_MODEL, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); load average before/after: $LOAD_BEFORE / $LOAD_AFTER"
  echo "- code: $GIT; server: $([ "$INSTANCES" != 1 ] && echo "$INSTANCES instances on one database, each a ")Release build, rate limit $(printf "%s\n" "${SERVER_SET[@]}" | grep -q "^Patron__RateLimit__PerMinute=[1-9]" && echo on || echo off), 127.0.0.1$([ "$NICE" != 0 ] && echo ", server/PostgreSQL/wrk at nice $NICE"); wrk $THREADS threads, $CONNECTIONS connections, ${DURATION}s per run, ${WARMUP}s warm-up per scenario"
  echo "- dataset: $(echo "$SEED_SUMMARY" | sed 's/^SEED //')"
  echo "- $REPEATED runs were repeated because other processes used more than $MAX_OTHER cores during them (at most $RETRIES repeats per run, the last attempt counts)"
  echo "- program: $SETUP${SERVER_SET[*]:+; server configuration: ${SERVER_SET[*]}}"
  echo "- medians of $RUNS runs; CPU columns are cores used on average during a run: the Patron server, PostgreSQL (its postmaster and backends), wrk, and everything else on the machine ('other': noise from other processes)"
  echo
  echo "| scenario | req/s | p50 ms | p99 ms | ratio to /healthz | non-2xx | server CPU µs/req | server cores | db cores | wrk cores | other cores | writes per commit | writer busy | log sync ms |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for s in $SCENARIOS; do
    rps=$(median 5 load "$s")
    ratio=$(awk -v a="$rps" -v b="$HEALTHZ" 'BEGIN { if (b > 0 && a != "-") printf "%.2f", a / b; else print "-" }')
    echo "| $s | $rps | $(median 6 load "$s") | $(median 8 load "$s") | $ratio | $(median 9 load "$s") | $(median 15 load "$s") | $(median 11 load "$s") | $(median 12 load "$s") | $(median 13 load "$s") | $(median 14 load "$s") | $(median 16 load "$s") | $(median 17 load "$s") | $(median 18 load "$s") |"
  done
  if [ -n "$LAT_SCENARIOS" ]; then
    echo
    [ -n "$LATENCY_RATE" ] && echo "Latency at the fixed rate of --latency-rate $LATENCY_RATE, not at half the measured rate: the rows \"@ half\" below and the latency targets are at that rate."
    echo "Latency at half the measured rate (Lua-throttled wrk: a per-thread send schedule in the delay() hook; hey -q was not used because it repeats one URL, i.e. one customer; latency is timed from the actual send, without wrk2's coordinated-omission correction):"
    echo
    echo "| scenario | target req/s | achieved req/s | p50 ms | p90 ms | p99 ms | non-2xx |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for s in $LAT_SCENARIOS; do
      echo "| $s @ half | $(median 4 half "$s") | $(median 5 half "$s") | $(median 6 half "$s") | $(median 7 half "$s") | $(median 8 half "$s") | $(median 9 half "$s") |"
    done
  fi
  echo
  echo "- server memory (VmRSS$([ "$INSTANCES" != 1 ] && echo ", the first server")): $(mb "$RSS_START") after start, $(mb "$RSS_END") after the run, peak (VmHWM) $(mb "$RSS_PEAK")"
  echo "- integrity after the run: $INTEGRITY"
  echo "- CSV import (CLI, empty database): $IMPORT_RESULT"
  echo
  echo "docs/PERFORMANCE.md targets:"
  echo
  awk -v award="$(median 5 load award)" -v deduct="$(median 5 load deduct)" -v bal="$(median 5 load balance)" \
      -v hp99="$(median 8 half award)" -v hrate="$(median 5 half award)" \
      -v bp99="$(median 8 half balance)" -v lp99="$(median 8 half lookup_email)" \
      -v rss="$RSS_PEAK" -v customers="$CUSTOMERS" -v imp="$IMPORT" -v isec="$IMPORT_SECONDS" '
    function row(name, target, measured, verdict) { printf "| %s | %s | %s | %s |\n", name, target, measured, verdict }
    function ge(v, t) { if (v == "" || v == "-") return "not measured"; return sprintf("%s (%.2fx the target)", v >= t ? "met" : "missed", v / t) }
    function le(v, t) { if (v == "" || v == "-") return "not measured"; return sprintf("%s (%.2fx the limit)", v <= t ? "met" : "missed", v / t) }
    BEGIN {
    print "| target | spec | measured | distance |"
    print "|---|---|---|---|"
    row("points transactions (award)", ">= 10,000/s", award " req/s", ge(award, 10000))
    row("points transactions (deduct)", ">= 10,000/s", deduct " req/s", ge(deduct, 10000))
    row("p99 at half the rate (award)", "< 25 ms", hp99 " ms at " hrate " req/s", le(hp99, 25))
    row("balance reads", ">= 30,000/s", bal " req/s", ge(bal, 30000))
    size = customers >= 1000000 ? "" : " (spec: at 1M customers / 10M entries; this run is smaller)"
    row("balance p99 at half its rate" size, "< 5 ms", bp99 " ms", le(bp99, 5))
    row("lookup by email p99 at half its rate" size, "< 5 ms", lp99 " ms", le(lp99, 5))
    row("server memory (peak RSS)" size, "< 300 MB", sprintf("%.0f MB", rss / 1024), le(rss / 1024, 300))
    if (isec == "") row("import 1M customers from CSV", "< 60 s", "-", "not measured (--import 0)")
    else if (imp >= 1000000) row("import 1M customers from CSV", "< 60 s", isec " s", le(isec, 60))
    else row("import 1M customers from CSV (this run: " imp ", scaled to 1M)", "< 60 s", sprintf("%s s (%.0f s per 1M)", isec, isec * 1000000 / imp), le(isec * 1000000 / imp, 60))
  }'
} >"$REPORT"

mkdir -p bench/results
RESULT_FILE=bench/results/$(date -u +%Y-%m-%d)-$DB-$CUSTOMERS${LABEL:+-$LABEL}.md
cp "$REPORT" "$RESULT_FILE"
cp "$RESULTS" "${RESULT_FILE%.md}.tsv"
echo
cat "$REPORT"
echo
log "report: $RESULT_FILE (raw wrk output: $RUN_DIR)"
