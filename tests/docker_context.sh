#!/usr/bin/env bash
# Checks that the Dockerfile's build stage gets everything cargo needs.
#
# This machine has no Docker engine, so the image itself cannot be built in
# CI. What breaks a `docker build` in practice is the build context: a file
# the manifest needs (a declared bench, the served WSDLs) that no `COPY`
# brings in. This script copies exactly the build stage's `COPY` sources
# into an empty directory and runs `cargo check --locked --bin
# ecgrid-gateway` there, reusing the checked dependencies in target/. It
# also checks that .dockerignore keeps target/, .git and the test installs
# out of the context (and nothing the build copies), that every FROM is
# pinned, that the binary is stripped, and that the image has its
# HEALTHCHECK.
set -euo pipefail
cd "$(dirname "$0")/.."

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT

# The build stage is everything before the second FROM.
copies=$(awk '/^FROM /{n++} n==1 && /^COPY / && !/--from/' Dockerfile)
if [[ -z "$copies" ]]; then
  echo "error: no COPY lines in the Dockerfile's build stage" >&2
  exit 1
fi
while read -r _ args; do
  read -ra parts <<<"$args"
  dest=${parts[-1]}
  unset 'parts[-1]'
  if [[ $dest == */ ]]; then
    # `COPY a b dir/`: each source goes into the directory.
    mkdir -p "$context/$dest"
    for src in "${parts[@]}"; do cp -r "$src" "$context/$dest"; done
  else
    # `COPY src dest`: the source becomes dest.
    mkdir -p "$(dirname "$context/$dest")"
    cp -r "${parts[0]}" "$context/$dest"
  fi
done <<<"$copies"

# .dockerignore keeps the large and local directories out of the context
# (a 5 GiB target/ would otherwise be sent to the engine), and must not
# exclude what the build stage copies.
test -f .dockerignore || { echo "error: .dockerignore is missing" >&2; exit 1; }
for excluded in target/ .git tests/clients/node_modules tests/clients/.venv .venv fuzz/target fuzz/corpus; do
  grep -qxF "$excluded" .dockerignore || {
    echo "error: .dockerignore does not exclude $excluded" >&2
    exit 1
  }
done
while read -r _ args; do
  read -ra parts <<<"$args"
  unset 'parts[-1]'
  for src in "${parts[@]}"; do
    if grep -qxE "/?${src%/}/?" .dockerignore; then
      echo "error: .dockerignore excludes $src, which the build stage copies" >&2
      exit 1
    fi
  done
done <<<"$copies"
grep -A2 '^HEALTHCHECK ' Dockerfile | grep -qF '"ecgrid-gateway", "healthcheck"' || { echo "error: the Dockerfile has no HEALTHCHECK running the binary's healthcheck" >&2; exit 1; }
grep -q 'CARGO_PROFILE_RELEASE_STRIP=symbols' Dockerfile || { echo "error: the build stage must strip the release binary (CARGO_PROFILE_RELEASE_STRIP=symbols)" >&2; exit 1; }
if grep -E '^FROM ' Dockerfile | grep -vE '^FROM [^ :]+(:[0-9][^ ]*|@sha256:[0-9a-f]{64})( |$)' | grep -q .; then
  echo "error: every FROM must pin its image by an exact version tag or digest:" >&2
  grep -E '^FROM ' Dockerfile >&2
  exit 1
fi

echo "Dockerfile build context: $(cd "$context" && ls | tr '\n' ' ')"
CARGO_TARGET_DIR="$PWD/target" cargo check --offline --locked --quiet \
  --manifest-path "$context/Cargo.toml" --bin ecgrid-gateway
echo "Dockerfile build context: cargo check passed"
