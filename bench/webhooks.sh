#!/usr/bin/env bash
# Webhook overhead benchmark: the write-heavy `award` scenario (POST points_transactions, one
# points.created event each) with no webhook endpoint, then with two endpoints subscribed to it,
# round after round; prints both throughputs, their ratio, and how the deliveries kept up.
#
#   bench/webhooks.sh                      SQLite, the same cached dataset as bench/run.sh
#   bench/webhooks.sh --db postgres        a throwaway PostgreSQL 15 cluster (.ci/postgres.sh)
#
# Options (environment variable in brackets):
#   --db sqlite|postgres   [BENCH_DB]           database (default sqlite)
#   --customers N          [BENCH_CUSTOMERS]    default 100000 (shares bench/run.sh's dataset cache)
#   --entries N            [BENCH_ENTRIES]      default 1000000
#   --duration S           [BENCH_DURATION]     seconds per wrk run (default 8)
#   --connections C        [BENCH_CONNECTIONS]  wrk connections (default 64)
#   --threads T            [BENCH_THREADS]      wrk threads (default 2)
#   --runs R               [BENCH_RUNS]         rounds of (without, with); medians are reported (default 3)
#   --scenario NAME        [BENCH_SCENARIO]     a bench/wrk script that writes (default award)
#   --no-build                                  use the existing Release build
#   --label TEXT           [BENCH_LABEL]        name for the results file
#   --server-env "K=V ..." [BENCH_SERVER_ENV]   extra server settings, e.g. Patron__Webhooks__Dispatcher=false
#
# The receiver (bench/webhooks-receiver.js, Node's http module) runs on the same machine and checks
# every delivery's signature, so its CPU is taken from the same two cores: the ratio is a floor.
# Everything listens on 127.0.0.1 only. Results: bench/results/<date>-webhooks-<db>[-label].md (+ .tsv).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DB=${BENCH_DB:-sqlite}
CUSTOMERS=${BENCH_CUSTOMERS:-100000}
ENTRIES=${BENCH_ENTRIES:-1000000}
DURATION=${BENCH_DURATION:-8}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
RUNS=${BENCH_RUNS:-3}
SCENARIO=${BENCH_SCENARIO:-award}
LABEL=${BENCH_LABEL:-}
EXTRA_ENV=${BENCH_SERVER_ENV:-}
BUILD=1

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --db) DB=$2; shift ;;
    --customers) CUSTOMERS=$2; shift ;;
    --entries) ENTRIES=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --scenario) SCENARIO=$2; shift ;;
    --no-build) BUILD=0 ;;
    --label) LABEL=$2; shift ;;
    --server-env) EXTRA_ENV=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$DB" in sqlite|postgres) ;; *) echo "--db must be sqlite or postgres" >&2; exit 2 ;; esac
[ -f "bench/wrk/$SCENARIO.lua" ] || { echo "unknown scenario: $SCENARIO" >&2; exit 2; }
for tool in wrk node curl; do command -v $tool >/dev/null || { echo "$tool is not installed" >&2; exit 1; }; done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
KEY=sk_bench_local_only_0123456789abcdefghijklmnop   # as bench/run.sh: the server only listens on 127.0.0.1
STAMP=$(date -u +%Y%m%d-%H%M%S)
RUN_DIR=$ROOT/bench/work/runs/$STAMP-webhooks-$DB-$CUSTOMERS
mkdir -p "$RUN_DIR"
PATRON_DLL=$ROOT/src/Patron/bin/Release/net10.0/Patron.dll
SEED_DLL=$ROOT/bench/Patron.Bench.Seed/bin/Release/net10.0/Patron.Bench.Seed.dll
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
SERVER_PID=""; RECEIVER_PID=""; PGDIR=""; DATA_DIR=""
log() { printf '[webhooks %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cleanup() {
  local rc=$?
  for pid in $SERVER_PID $RECEIVER_PID; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  if [ -n "$PGDIR" ] && [ -f "$PGDIR/PG_VERSION" ]; then
    su postgres -s /bin/bash -c "'$PG_BIN/pg_ctl' -D '$PGDIR' stop -m fast" >/dev/null 2>&1 || true
    rm -rf "$PGDIR"
  fi
  [ -n "$DATA_DIR" ] && rm -rf "$DATA_DIR"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! ss -tanH "sport = :$1" 2>/dev/null | grep -q .; }
free_port() { local p; for _ in $(seq 1 50); do p=$((20000 + RANDOM % 10000)); port_free "$p" && { echo "$p"; return; }; done; return 1; }
PORT=$(free_port); RPORT=$(free_port)
while [ "$RPORT" = "$PORT" ]; do RPORT=$(free_port); done

# ---------------------------------------------------------------- build and dataset (as bench/run.sh)
if [ "$BUILD" = 1 ]; then
  log "building Release (src/Patron and bench/Patron.Bench.Seed)"
  dotnet build bench/Patron.Bench.Seed -c Release -nologo -v quiet -clp:ErrorsOnly >"$RUN_DIR/build.log" 2>&1 \
    || { cat "$RUN_DIR/build.log" >&2; echo "build failed" >&2; exit 1; }
fi
[ -f "$PATRON_DLL" ] && [ -f "$SEED_DLL" ] || { echo "Release build missing; run without --no-build" >&2; exit 1; }
seed() {
  dotnet "$SEED_DLL" --customers "$CUSTOMERS" --entries "$ENTRIES" --admin-key "$KEY" "$@" 2>&1 >"$RUN_DIR/seed.out" \
    | tee "$RUN_DIR/seed.log" | sed -u 's/^/  /' >&2
}
SERVER_ENV=()
if [ "$DB" = sqlite ]; then
  # The cache key is bench/run.sh's, so the two scripts share datasets.
  VERSION=$(cat src/Patron/Storage/Migrations/sqlite/*.sql bench/Patron.Bench.Seed/*.cs | sha256sum | cut -c1-10)
  CACHE=$ROOT/bench/work/datasets/sqlite-$CUSTOMERS-$ENTRIES-$VERSION
  if [ ! -f "$CACHE/ready" ]; then
    rm -rf "$CACHE" "$CACHE.tmp"; mkdir -p "$CACHE.tmp"
    log "generating SQLite dataset: $CUSTOMERS customers, $ENTRIES ledger entries"
    seed --provider sqlite --data "$CACHE.tmp" --out "$CACHE.tmp/customers.txt"
    cp "$RUN_DIR/seed.log" "$RUN_DIR/seed.out" "$CACHE.tmp/"
    touch "$CACHE.tmp/ready"; mv "$CACHE.tmp" "$CACHE"
  else
    log "reusing cached dataset $CACHE"
  fi
  DATA_DIR=$RUN_DIR/data; mkdir -p "$DATA_DIR"
  cp "$CACHE/patron.db" "$DATA_DIR/patron.db"
  CUSTOMERS_FILE=$CACHE/customers.txt
else
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 binaries not found in $PG_BIN" >&2; exit 1; }
  PGPORT=${BENCH_PGPORT:-31550}
  while ! port_free "$PGPORT"; do PGPORT=$((PGPORT + 1)); done
  PGDIR=$(mktemp -d /tmp/patron-bench-pg.XXXXXX)
  log "starting a throwaway PostgreSQL cluster on 127.0.0.1:$PGPORT"
  PG_CS=$(.ci/postgres.sh "$PGDIR" "$PGPORT" | tail -n 1) || { tail -n 20 "$PGDIR/server.log" >&2; exit 1; }
  su postgres -s /bin/bash -c "'$PG_BIN/psql' -q -h 127.0.0.1 -p $PGPORT -U postgres -d postgres -c 'CREATE DATABASE patron_bench'" >/dev/null
  PG_CS=${PG_CS/Database=postgres/Database=patron_bench}
  log "generating PostgreSQL dataset: $CUSTOMERS customers, $ENTRIES ledger entries (COPY)"
  seed --provider postgres --connection "$PG_CS" --out "$RUN_DIR/customers.txt"
  CUSTOMERS_FILE=$RUN_DIR/customers.txt
  DATA_DIR=$RUN_DIR/data; mkdir -p "$DATA_DIR"
  SERVER_ENV=(Patron__Database__Provider=postgres "ConnectionStrings__Patron=$PG_CS")
fi

# ---------------------------------------------------------------- receiver and server
node bench/webhooks-receiver.js "$RPORT" >"$RUN_DIR/receiver.log" 2>&1 &
RECEIVER_PID=$!
log "starting the server (Release) on http://127.0.0.1:$PORT, the receiver on 127.0.0.1:$RPORT"
env "${SERVER_ENV[@]}" Patron__Bootstrap__AdminKey="$KEY" Patron__RateLimit__PerMinute=0 Logging__LogLevel__Default=Warning \
  Patron__Webhooks__AllowPrivateTargets=true $EXTRA_ENV \
  dotnet "$PATRON_DLL" serve --urls "http://127.0.0.1:$PORT" --data "$DATA_DIR" >"$RUN_DIR/server.log" 2>&1 &
SERVER_PID=$!
for i in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && curl -fsS "http://127.0.0.1:$RPORT/_stats" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$RUN_DIR/server.log" >&2; echo "the server exited" >&2; exit 1; }
  [ "$i" = 120 ] && { echo "the server or the receiver did not start within 60 s" >&2; exit 1; }
  sleep 0.5
done

API="http://127.0.0.1:$PORT/api/v1"
api() { curl -fsS -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" "$@"; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);console.log(process.argv.slice(1).map(k=>k.split(".").reduce((v,p)=>v[p],o)).join(" "))})' "$@"; }
stats() { curl -fsS "http://127.0.0.1:$RPORT/_stats" | json "$@"; }
ENDPOINTS=()
create_endpoints() {
  ENDPOINTS=()
  local config="{" sep=""
  for path in /a /b; do
    read -r id secret < <(api -X POST "$API/webhook_endpoints" -d "{\"url\":\"http://127.0.0.1:$RPORT$path\",\"events\":[\"points.created\"]}" | json id secret)
    ENDPOINTS+=("$id")
    config="$config$sep\"$path\":\"$secret\""; sep=","
  done
  curl -fsS -X POST "http://127.0.0.1:$RPORT/_config" -d "$config}" >/dev/null
}
delete_endpoints() {
  for id in "${ENDPOINTS[@]}"; do api -X DELETE "$API/webhook_endpoints/$id" >/dev/null; done
  ENDPOINTS=()
}

CLK_TCK=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
RESULTS=$RUN_DIR/results.tsv
printf 'round\tkind\trps\tp50_ms\tp99_ms\trequests\tnon2xx\tserver_cpu_us_per_req\treceiver_cpu_cores\tdelivered_during_run\texpected_deliveries\tdrain_s\tverified\tbad\tserver_cpu_us_per_req_with_drain\treceiver_cpu_us_per_req_with_drain\n' >"$RESULTS"

# run_phase ROUND KIND(base|hooks) SECONDS [record]
run_phase() {
  local round=$1 kind=$2 seconds=$3 record=${4:-1}
  local out=$RUN_DIR/$kind-$round.txt
  [ "$kind" = hooks ] && create_endpoints
  curl -fsS -X POST "http://127.0.0.1:$RPORT/_reset" >/dev/null
  local s0 s1 r0 r1 t0 t1 s2 r2
  s0=$(ticks "$SERVER_PID"); r0=$(ticks "$RECEIVER_PID"); t0=$(date +%s.%N)
  PATRON_WRK_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency \
    -s "bench/wrk/$SCENARIO.lua" "http://127.0.0.1:$PORT" -- "$CUSTOMERS_FILE" "$KEY" 0 >"$out" 2>&1
  s1=$(ticks "$SERVER_PID"); r1=$(ticks "$RECEIVER_PID"); t1=$(date +%s.%N)
  s2=$s1; r2=$r1
  local during expected=0 drain=0 verified=0 bad=0
  during=$(stats distinct)
  local requests non2xx
  requests=$(awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "requests") print kv[2] } }' "$out")
  non2xx=$(awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "non2xx") print kv[2] } }' "$out")
  if [ "$kind" = hooks ]; then
    # Every acknowledged write made one event, and each goes to both endpoints.
    expected=$(( 2 * (requests - non2xx) ))
    local start now
    start=$(date +%s.%N)
    # A server told not to dispatch (to measure the write side alone) never catches up.
    case "$EXTRA_ENV" in *Dispatcher=false*) expected=0 ;; esac
    while :; do
      now=$(stats distinct)
      [ "$now" -ge "$expected" ] && break
      if awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { exit !(n - s > 300) }'; then
        log "deliveries did not catch up within 300 s ($now of $expected)"; break
      fi
      sleep 0.2
    done
    drain=$(awk -v s="$t1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }')
    s2=$(ticks "$SERVER_PID"); r2=$(ticks "$RECEIVER_PID")
    sleep 1
    read -r verified bad < <(stats verified bad)
    delete_endpoints
  fi
  [ "$record" = 1 ] || return 0
  awk -v round="$round" -v kind="$kind" -v s0="$s0" -v s1="$s1" -v s2="$s2" -v r0="$r0" -v r1="$r1" -v r2="$r2" -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" \
      -v during="$during" -v expected="$expected" -v drain="$drain" -v verified="$verified" -v bad="$bad" '
    /^RESULT / {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
      per_req = r["requests"] > 0 ? (s1 - s0) / hz * 1e6 / r["requests"] : 0
      with_drain = r["requests"] > 0 ? (s2 - s0) / hz * 1e6 / r["requests"] : 0
      receiver_drain = r["requests"] > 0 ? (r2 - r0) / hz * 1e6 / r["requests"] : 0
      printf "%s\t%s\t%.0f\t%.2f\t%.2f\t%d\t%d\t%.0f\t%.2f\t%d\t%d\t%s\t%d\t%d\t%.0f\t%.0f\n", round, kind, r["rps"], r["p50_ms"], r["p99_ms"], \
        r["requests"], r["non2xx"], per_req, (r1 - r0) / hz / (t1 - t0), during, expected, drain, verified, bad, with_drain, receiver_drain
    }' "$out" >>"$RESULTS"
  tail -n 1 "$RESULTS" | awk -F'\t' '{ printf "  round %s %-5s %7s req/s  p99 %7s ms  server %s us/req (%s with the drain; receiver %s)  delivered during run %s of %s, drained %s s after, %s verified, %s bad\n", $1, $2, $3, $5, $8, $15, $16, $10, $11, $12, $13, $14 }' >&2
}

log "warm-up"
run_phase 0 base 2 0
run_phase 0 hooks 2 0
for round in $(seq 1 "$RUNS"); do
  log "round $round of $RUNS (${DURATION}s each, $CONNECTIONS connections, $THREADS wrk threads)"
  # Alternate the order so that drift on a shared machine falls on both sides.
  if [ $((round % 2)) = 1 ]; then run_phase "$round" base "$DURATION"; run_phase "$round" hooks "$DURATION"
  else run_phase "$round" hooks "$DURATION"; run_phase "$round" base "$DURATION"; fi
done

median() { # median COLUMN KIND
  awk -F'\t' -v c="$1" -v k="$2" 'NR > 1 && $2 == k { print $c }' "$RESULTS" | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
BASE=$(median 3 base); HOOKS=$(median 3 hooks)
RATIO=$(awk -v a="$HOOKS" -v b="$BASE" 'BEGIN { printf "%.2f", a / b }')
PAIRED=$(awk -F'\t' 'NR > 1 { v[$1, $2] = $3; r[$1] = 1 } END { for (k in r) if (v[k, "base"] > 0) printf "%.2f ", v[k, "hooks"] / v[k, "base"] }' "$RESULTS")
VERDICT=$(awk -v r="$RATIO" 'BEGIN { print (r >= 0.80 ? "met" : "missed") }')
GIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain -- src 2>/dev/null | wc -l)
[ "$DIRTY" -gt 0 ] && GIT="$GIT + uncommitted changes in $DIRTY src files"
REPORT=$RUN_DIR/report.md
{
  echo "## $(date -u +%Y-%m-%d) webhooks overhead, $DB, $CUSTOMERS customers / $ENTRIES ledger entries${LABEL:+ ($LABEL)}"
  echo
  echo "- command: \`bench/webhooks.sh --db $DB --customers $CUSTOMERS --entries $ENTRIES --duration $DURATION --connections $CONNECTIONS --threads $THREADS --runs $RUNS --scenario $SCENARIO\`"
  echo "- machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- code: $GIT; server: Release, rate limit off${EXTRA_ENV:+, $EXTRA_ENV}; receiver: bench/webhooks-receiver.js on the same machine, checking every signature"
  echo "- 'with webhooks': two endpoints subscribed to points.created, i.e. two deliveries per write; 'without': no endpoint"
  echo
  echo "| | req/s (median) | p99 ms (median) | server CPU µs/req during the run | server CPU µs/req, run + drain | receiver CPU µs/req |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| without webhooks | $BASE | $(median 5 base) | $(median 8 base) | $(median 15 base) | - |"
  echo "| with two endpoints | $HOOKS | $(median 5 hooks) | $(median 8 hooks) | $(median 15 hooks) | $(median 16 hooks) |"
  echo
  echo "- throughput kept with two endpoints: **$RATIO** of the throughput without (median over median; per round: $PAIRED); target >= 0.80: **$VERDICT**"
  echo "- deliveries: $(awk -F'\t' 'NR > 1 && $2 == "hooks" { d += $10; e += $11; v += $13; b += $14; if ($12 > m) m = $12 } END { printf "%d of %d made while the load ran, all %d received within %.1f s after it (worst round); %d signatures verified by the receiver, %d bad", d, e, e, m, v, b }' "$RESULTS")"
  echo
  echo "Per run:"
  echo
  echo "| round | kind | req/s | p99 ms | server µs/req | delivered during run | expected | drain s |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $5, $8, $10, $11, $12 }' "$RESULTS"
} >"$REPORT"
mkdir -p bench/results
RESULT_FILE=bench/results/$(date -u +%Y-%m-%d)-webhooks-$DB${LABEL:+-$LABEL}.md
cp "$REPORT" "$RESULT_FILE"; cp "$RESULTS" "${RESULT_FILE%.md}.tsv"
echo; cat "$REPORT"; echo
log "report: $RESULT_FILE (raw output: $RUN_DIR)"
