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
  kill "$agent_pid" "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  # The agent leaves workloads running on purpose (a restarted agent adopts them); the demo
  # stops its own process groups.
  pkill -f "$run_dir" 2>/dev/null || true
  rm -rf "$run_dir"
}
trap cleanup EXIT

"$bin/ank-server" --insecure --address "127.0.0.1:$port" &
server_pid=$!
"$bin/ank-agent" --insecure --name agent_A --server-url "$ANK_SERVER_URL" --run-folder "$run_dir" &
agent_pid=$!

"$bin/ank" --insecure apply "$manifest"
"$bin/ank" --insecure get workloads
sleep 3
"$bin/ank" --insecure logs -n ticker reporter || true
if [ "$once" = false ]; then
  echo "Anchorage is running at $ANK_SERVER_URL; try: $bin/ank -k get workloads  (Ctrl-C stops)"
  wait "$server_pid"
fi
