#!/usr/bin/env bash
# The one command that sets up and runs every test of ecgrid-gateway on a
# fresh machine (Rust toolchain, Python 3.11 with pip, Node 20 with npm):
#   bash tests/run.sh
# It installs what the tests need itself (a Python venv and node_modules
# under tests/clients/, Debian packages for the benchmark smoke run), builds
# once into target/, and fails (never skips) when a stage cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n==> %s\n' "$*"; }

test -d ../shared/reference/wsdl || {
  echo "error: ../shared/reference/ (the original WSDLs and docs) must sit beside the checkout" >&2
  exit 1
}

stage "format and lint"
cargo fmt --check
cargo clippy --all-targets -- -D warnings

stage "Rust unit, integration and snapshot tests"
cargo build --all-targets
cargo test --all-targets

stage "load benchmark smoke (bench/load.sh --smoke: direct, nginx, gateway for ~2 s each)"
# Uses the debug binary built above; installs nginx-light and wrk if missing.
# Fails unless each run had successful requests and no errors; timings are
# not checked (BENCHMARKS.md has the real runs).
bash bench/load.sh --smoke
