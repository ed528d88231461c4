#!/usr/bin/env bash
# Builds the release binaries and prints the system benchmark figures; see bench/src/main.rs.
#   scripts/bench.sh [--runs N] [--many N] [--agents N] [--podman] [--only startup|tls|one|many|control|logs|podman]
#   scripts/bench.sh --only soak [--rounds N] [--seconds S] [--seed N]   (kills, partitions, updates; checked)
#   scripts/bench.sh --only fleet [--fleet-sizes N,N,…] [--fleet-agents N] [--fleet-against DIR]
#       (server memory and apply time at fleet scale: 1 000–10 000 workloads over 100 agents)
# The validation throughput benchmark is `cargo bench -p podspec`.
set -euo pipefail
cd "$(dirname "$0")/.."
# --podman needs Podman set up like the tests have it (the project's containers.conf, the image).
if [[ " $* " == *" --podman "* ]]; then
    source scripts/podman-setup.sh
fi
# Only what the benchmark runs: `ank` (with k8s-openapi) is slow to link and needed only by
# `--only logs` (built then), which times `ank logs`.
packages=(-p apiserver -p nodeagent -p anchorage-bench)
if [[ " $* " == *" --only logs "* ]]; then
    packages+=(-p kubectl-compat)
fi
cargo build --release --quiet "${packages[@]}"
exec target/release/anchorage-bench "$@"
