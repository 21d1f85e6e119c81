#!/usr/bin/env bash
# The test command from the README: builds everything and runs every test in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
