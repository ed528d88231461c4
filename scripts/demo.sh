#!/usr/bin/env bash
# The main job: a local ank-server and one ank-agent (agent_A) on loopback, with an example
# applied. Runs native processes, so it works without Podman.
#   scripts/demo.sh [MANIFEST] [--once]
# --once prints the state and logs, then stops everything; otherwise it runs until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

manifest=examples/ankaios/native-demo.yaml
once=false
for arg in "$@"; do
  case "$arg" in
    --once) once=true ;;
    *) manifest=$arg ;;
  esac
done

cargo build --quiet --bins
bin=target/debug
run_dir=$(mktemp -d /tmp/anchorage-demo.XXXXXX)
port=${ANK_DEMO_PORT:-25551}
export ANK_SERVER_URL="http://127.0.0.1:$port"

cleanup() {
  kill ${agent_pid:+"$agent_pid"} "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  # The agent leaves workloads running on purpose (a restarted agent adopts them); the demo
  # stops its own process groups.
  pkill -f "$run_dir" 2>/dev/null || true
  rm -rf "$run_dir"
}
trap cleanup EXIT

# Waits (at most 10 s) until `ank ARGS…` prints a line matching PATTERN.
wait_for() {
  local pattern=$1; shift
  for _ in $(seq 100); do
    if "$bin/ank" --insecure "$@" 2>/dev/null | grep -q "$pattern"; then return 0; fi
    sleep 0.1
  done
  echo "demo: timed out waiting for '$pattern' in 'ank $*'" >&2
  return 1
}

"$bin/ank-server" --insecure --address "127.0.0.1:$port" &
server_pid=$!
agent_pid=
wait_for apiVersion get state
"$bin/ank-agent" --insecure --name agent_A --server-url "$ANK_SERVER_URL" --run-folder "$run_dir" &
agent_pid=$!
wait_for '^agent_A ' get agents

"$bin/ank" --insecure apply "$manifest"
sleep 3
"$bin/ank" --insecure get workloads
"$bin/ank" --insecure logs -n ticker reporter || true
if [ "$once" = false ]; then
  echo "Anchorage is running at $ANK_SERVER_URL; try: $bin/ank -k get workloads  (Ctrl-C stops)"
  wait "$server_pid"
fi
