#!/usr/bin/env bash
# Checks that the Dockerfile's build stage gets everything cargo needs.
#
# This machine has no Docker engine, so the image itself cannot be built in
# CI. What breaks a `docker build` in practice is the build context: a file
# the manifest needs (a declared bench, the served WSDLs) that no `COPY`
# brings in. This script copies exactly the build stage's `COPY` sources
# into an empty directory and runs `cargo check --locked --bin
# ecgrid-gateway` there, reusing the checked dependencies in target/.
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

echo "Dockerfile build context: $(cd "$context" && ls | tr '\n' ' ')"
CARGO_TARGET_DIR="$PWD/target" cargo check --offline --locked --quiet \
  --manifest-path "$context/Cargo.toml" --bin ecgrid-gateway
echo "Dockerfile build context: cargo check passed"
