#!/usr/bin/env bash
# Builds the release binaries and prints the system benchmark figures; see bench/src/main.rs.
#   scripts/bench.sh [--runs N] [--many N] [--agents N] [--podman]
# The validation throughput benchmark is `cargo bench -p podspec`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bins --quiet
exec target/release/anchorage-bench "$@"
