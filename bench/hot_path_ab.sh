#!/usr/bin/env bash
# A/B of two builds of benches/hot_path.rs in one sitting: runs the two
# bench binaries interleaved (A, B, A, B; machine drift hits both), criterion
# comparing each B run against the A run just before it (baseline "a"), and
# keeps each run's allocation/median table.
#
#   cargo bench --bench hot_path --no-run   # prints the binary; copy it aside
#   bash bench/hot_path_ab.sh /tmp/hot_path-before /tmp/hot_path-after [ROUNDS]
#
# Build A from a copy of the old tree with a separate CARGO_TARGET_DIR, or
# touch the sources after it: cargo fingerprints a root package by a hash
# relative to the workspace and by file mtimes, so a copy built into the
# same target/ can look fresh to the newer tree.
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1
b=$2
rounds=${3:-2}
[ -x "$a" ] && [ -x "$b" ] || { echo "usage: $0 BENCH_A BENCH_B [ROUNDS]" >&2; exit 2; }
for round in $(seq 1 "$rounds"); do
    echo "===== round $round: A ($a)"
    "$a" --bench --save-baseline a
    echo "===== round $round: B ($b), change vs the A run above"
    "$b" --bench --baseline a
done
