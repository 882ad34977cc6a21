# Shared by bench/run.sh and bench/admin-pages.sh (sourced): waiting for, and stopping, a server they started.

# wait_for_server URL PID LOG: waits up to 60 s for URL/healthz to answer; exits the script, with the
# server's log, if the process PID ends first or the time runs out.
wait_for_server() {
  local url=$1 pid=$2 log=$3 i
  for i in $(seq 1 120); do
    curl -fsS "$url/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "the server exited" >&2; exit 1; }
    sleep 0.5
  done
  echo "the server did not answer /healthz within 60 s" >&2
  exit 1
}

# stop_server PID: asks the process to stop, waits up to 10 s, then kills it.
stop_server() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}
