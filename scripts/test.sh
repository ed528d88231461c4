#!/usr/bin/env bash
# The project's one test command (README, `.ci/run`): set up Podman, then format check,
# clippy with -D warnings, and every test of the workspace in one debug build.
set -euo pipefail
cd "$(dirname "$0")/.."

# Podman and runc from Debian, a project-owned containers.conf, the local busybox image.
# The podman system tests need them; without root/apt they skip loudly instead.
# shellcheck source=/dev/null
source scripts/podman-setup.sh || echo "WARNING: podman setup failed; podman system tests will skip" >&2

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
