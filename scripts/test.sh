#!/usr/bin/env bash
# The test command from the README: builds everything and runs every test in the workspace,
# then the real-window tests (the app under Xvfb, and invite links opened with xdg-open;
# screenshots in target/screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
if command -v Xvfb >/dev/null 2>&1 && command -v import >/dev/null 2>&1; then
    bash scripts/window-smoke.sh
    bash scripts/link-smoke.sh
else
    echo "skipping the real-window test: install xvfb and imagemagick (see .ci/run) to run it"
fi
