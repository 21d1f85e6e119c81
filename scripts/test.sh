#!/usr/bin/env bash
# The test command from the README: builds everything and runs every test in the workspace,
# then the real-window test (the app under Xvfb, screenshots in target/screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
if command -v Xvfb >/dev/null 2>&1 && command -v import >/dev/null 2>&1; then
    bash scripts/window-smoke.sh
else
    echo "skipping the real-window test: install xvfb and imagemagick (see .ci/run) to run it"
fi
