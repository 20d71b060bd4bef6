#!/usr/bin/env bash
# The one command that sets up and runs every test of ecgrid-gateway on a
# fresh machine (Rust toolchain, Python 3.11 with pip, Node 20 with npm):
#   bash tests/run.sh
# It installs what the tests need itself (a Python venv and node_modules
# under tests/clients/, Debian packages for the benchmark smoke run), builds
# once into target/, and fails (never skips) when a stage cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each stage's start is printed with the seconds since the command began
# (SECONDS), so a slow stage shows in the log.
stage() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }
trap 'printf "\n==> [%ss] done (exit %s)\n" "$SECONDS" "$?"' EXIT

test -d ../shared/reference/wsdl || {
  echo "error: ../shared/reference/ (the original WSDLs and docs) must sit beside the checkout" >&2
  exit 1
}

stage "format and lint"
cargo fmt --check
cargo clippy --all-targets -- -D warnings

stage "Dockerfile build context (no Docker engine here: cargo check on exactly what the build stage copies)"
bash tests/docker_context.sh

stage "redis-server and nginx for the shared-session tests (they start their own)"
# Debian's redis-server and nginx-light, installed when missing. The tests
# start their own on free loopback ports and kill them
# (tests/support/redis.rs, tests/deploy_nginx.rs); the packages' system
# services are stopped and disabled so nothing is left running or enabled.
# A test that cannot find redis-server or nginx fails.
source bench/tools.sh
pkgs=()
command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || pkgs+=(nginx-light)
if [ ${#pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}"; } \
    || { echo "error: could not install ${pkgs[*]} with apt-get; install them and run again" >&2; exit 1; }
  # Only the services of what was installed here: a redis or nginx the
  # machine already ran is left as it was.
  case " ${pkgs[*]} " in *" redis-server "*) stop_service tests/run.sh "$SUDO" redis-server /run/redis/redis-server.pid ;; esac
  case " ${pkgs[*]} " in *" nginx-light "*) stop_service tests/run.sh "$SUDO" nginx /run/nginx.pid ;; esac
fi
redis-server --version

stage "Rust unit, integration and snapshot tests"
cargo build --all-targets
cargo test --all-targets

stage "fuzz smoke (cargo-fuzz: envelope reader 60 s, REST answer parser 30 s)"
# The two parsers of hostile bytes (fuzz/). libFuzzer's build flags are
# nightly-only; RUSTC_BOOTSTRAP=1 lets the stable toolchain take them. Built
# with --dev (debug profile: a few minutes to build on 2 cores, where the
# release build took tens; overflow checks stay on).
# cargo-fuzz is installed when missing; a target that cannot build or run,
# or finds a crash, fails the stage. New corpus entries stay in
# fuzz/corpus/ (ignored by git); the seeds are fuzz/seeds/.
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
cargo fuzz --version
for spec in envelope:60 h1_answer:30; do
  name=${spec%%:*}
  seconds=${spec##*:}
  mkdir -p "fuzz/corpus/$name"
  RUSTC_BOOTSTRAP=1 cargo fuzz run --dev --sanitizer none "$name" "fuzz/corpus/$name" "fuzz/seeds/$name" -- \
    -max_total_time="$seconds" -max_len=1048576 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done

stage "real-client suite (zeep, node soap, published samples, the pages in headless Chromium)"
clients=tests/clients
venv=$clients/.venv
# Python: a venv with the pinned requirements; reinstalled only when
# requirements.txt changes (the stamp holds its hash). Failures fail.
stamp=$venv/.requirements.sha256
want=$(sha256sum "$clients/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$clients/requirements.txt"
  echo "$want" > "$stamp"
fi
# Node: npm ci from the committed lockfile (soap pinned exactly); skipped
# only when node_modules already matches that lockfile.
lock_stamp=$clients/node_modules/.package-lock.sha256
want_lock=$(sha256sum "$clients/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$lock_stamp" 2>/dev/null)" != "$want_lock" ]; then
  (cd "$clients" && npm ci --no-audit --no-fund)
  echo "$want_lock" > "$lock_stamp"
fi
# Chromium for the pages test (test_pages_chromium.py, driven by the npm
# playwright-core pinned above): Debian's chromium package, installed with
# apt-get (as root or through sudo) when missing. It is a program, not a
# service: nothing is left running or enabled.
if ! command -v chromium >/dev/null 2>&1; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi
chromium --version
test -x target/debug/ecgrid-gateway || { echo "error: target/debug/ecgrid-gateway is missing (cargo build failed?)" >&2; exit 1; }
# pytest exit code 5 (nothing collected) is a failure like any other non-zero.
(cd "$clients" && .venv/bin/python -m pytest -q)

stage "load benchmark smoke (bench/load.sh --smoke: direct, nginx, gateway for ~2 s each)"
# Uses the debug binary built above; installs nginx-light and wrk if missing.
# Fails unless each run had successful requests and no errors; timings are
# not checked (BENCHMARKS.md has the real runs).
bash bench/load.sh --smoke
