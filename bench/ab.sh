#!/usr/bin/env bash
# A/B of two gateway builds under the same load, interleaved so that drift
# in the machine's speed (a shared VM) hits both alike.
#
#   bash bench/ab.sh OLD_BIN NEW_BIN [ROUNDS] [DURATION]
#
# Starts one REST sandbox (this checkout's release build) and both gateways
# (`serve --upstream` the sandbox, RUST_LOG=warn), then runs wrk (SOAP 1.1
# WhoAmI, 2 threads, 64 connections, bench/wrk.lua) against A, B, A, B, …
# for ROUNDS rounds (default 4) of DURATION each (default 10s). Per run it
# prints req/s and the gateway's CPU per request (user and system, from
# /proc/PID/stat); at the end the medians per build. Writes
# bench/results/ab-<UTC date>.md. Loopback only; both gateways idle while
# the other is measured.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "ab.sh: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: bash bench/ab.sh OLD_BIN NEW_BIN [ROUNDS] [DURATION]"
A_BIN=$1 B_BIN=$2 ROUNDS=${3:-4} DURATION=${4:-10s}
[ -x "$A_BIN" ] || die "not an executable: $A_BIN"
[ -x "$B_BIN" ] || die "not an executable: $B_BIN"
[[ $ROUNDS =~ ^[1-9][0-9]?$ ]] || die "ROUNDS must be 1-99, got $ROUNDS"
command -v wrk >/dev/null || die "wrk is not installed (bash bench/load.sh installs it)"
cargo build --release --bin ecgrid-gateway >&2
SANDBOX_BIN=target/release/ecgrid-gateway

UP=127.0.0.1:18181 A=127.0.0.1:18182 B=127.0.0.1:18183
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
RUST_LOG=warn "$SANDBOX_BIN" sandbox --listen "$UP" >/dev/null 2>&1 & PIDS+=($!)
RUST_LOG=warn "$A_BIN" serve --listen "$A" --upstream "http://$UP" >/dev/null 2>&1 & A_PID=$!; PIDS+=($A_PID)
RUST_LOG=warn "$B_BIN" serve --listen "$B" --upstream "http://$UP" >/dev/null 2>&1 & B_PID=$!; PIDS+=($B_PID)
for addr in "$UP" "$A" "$B"; do
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://$addr/healthz" && break
    sleep 0.1
  done
  curl -s -o /dev/null "http://$addr/healthz" || die "nothing answers on $addr"
done

TICKS=$(getconf CLK_TCK)
# ticks PID: "utime stime" in clock ticks.
ticks() { local s; s=$(cat "/proc/$1/stat"); s=${s##*) }; read -ra f <<<"$s"; echo "${f[11]} ${f[12]}"; }

# measure NAME PID ADDR: one wrk run; appends "NAME rps user_ms sys_ms" to RUNS.
RUNS=()
measure() {
  local name=$1 pid=$2 addr=$3 u0 s0 u1 s1 out line requests duration_us
  read -r u0 s0 <<<"$(ticks "$pid")"
  out=$(BENCH_KIND=soap BENCH_API_KEY=demo-api-key \
    wrk -t2 -c64 -d"$DURATION" -s bench/wrk.lua "http://$addr/v4.1/prod/ECGridOS.asmx" 2>&1) \
    || die "wrk failed against $name: $out"
  read -r u1 s1 <<<"$(ticks "$pid")"
  line=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -1) || die "no RESULT from wrk: $out"
  eval "$(printf '%s' "${line#RESULT }" | tr ' ' '\n' | grep -E '^(requests|duration_us|non2xx)=' | sed 's/^/local /')"
  [ "$non2xx" = 0 ] || die "$name answered $non2xx non-2xx responses"
  local row
  row=$(awk -v n="$name" -v r="$requests" -v d="$duration_us" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v hz="$TICKS" \
    'BEGIN { printf "%s %.0f %.4f %.4f", n, r / (d / 1e6), u / hz / r * 1000, s / hz / r * 1000 }')
  RUNS+=("$row")
  echo "  $row" >&2
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS (name req/s user_ms/req sys_ms/req)" >&2
  measure A "$A_PID" "$A"
  measure B "$B_PID" "$B"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# median NAME FIELD: the median of a field (2 req/s, 3 user, 4 sys, 5 total) over NAME's runs.
median() {
  printf '%s\n' "${RUNS[@]}" | awk -v n="$1" -v f="$2" '$1 == n { v = (f == 5) ? $3 + $4 : $f; print v }' \
    | sort -g | awk -v fmt="$( [ "$2" = 2 ] && echo '%.0f' || echo '%.4f')" \
      '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf fmt "\n", m }'
}

report=$(
  echo "## A/B run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "A = $A_BIN, B = $B_BIN; $ROUNDS rounds of wrk -t2 -c64 -d$DURATION (SOAP 1.1 WhoAmI), interleaved A, B; sandbox $SANDBOX_BIN; RUST_LOG=warn; $(nproc) CPUs; load average before $LOAD_BEFORE, after $LOAD_AFTER."
  echo
  echo "| run | build | req/s | gateway CPU ms/req user | sys | total |"
  echo "|---:|---|---:|---:|---:|---:|"
  i=0
  for row in "${RUNS[@]}"; do
    i=$((i + 1))
    read -r n r u s <<<"$row"
    awk -v i="$i" -v n="$n" -v r="$r" -v u="$u" -v s="$s" 'BEGIN { printf "| %d | %s | %s | %.4f | %.4f | %.4f |\n", i, n, r, u, s, u + s }'
  done
  echo
  for n in A B; do
    echo "median $n: $(median $n 2) req/s, CPU ms/req user $(median $n 3), sys $(median $n 4), total $(median $n 5)"
  done
)
mkdir -p bench/results
file="bench/results/ab-$(date -u +%Y%m%dT%H%M%SZ).md"
printf '%s\n' "$report" >"$file"
printf '%s\n' "$report"
echo "ab.sh: wrote $file" >&2
