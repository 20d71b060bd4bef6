#!/usr/bin/env bash
# Benchmark of the legacy route: what the gateway adds to a SOAP request it
# passes through to the legacy ECGridOS service, against nginx proxying the
# same request to the same service.
#
#   bash bench/passthrough.sh [--duration 20s] [--connections 64] [--threads 2]
#
# The fake legacy service is nginx answering every POST with one fixed
# CarbonCopyListResponse (bench/nginx-legacy.conf). In front of it: nginx as a
# plain keepalive reverse proxy (bench/nginx.conf) and the gateway
# (`serve --legacy` the fake; CarbonCopyList is untranslated, so it is routed
# legacy, and its SessionID is an API key, passed unchanged). wrk sends the
# same SOAP 1.1 CarbonCopyList (bench/passthrough.lua) to:
#   (a) direct  : the fake service itself
#   (b) nginx   : through nginx
#   (c) gateway : through the gateway's legacy route
# first with 1 connection (p50 there is the per-request cost, not queueing:
# the added p50 over direct is what each proxy adds), then with
# --connections (throughput, CPU seconds per 1000 requests of the proxy
# alone). One run of each, in one go; results go to
# bench/results/passthrough-<UTC date>.md and stdout.
#
# Everything listens on 127.0.0.1; every wait is bounded; a trap stops every
# process the script started.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=20s
CONNECTIONS=64
THREADS=2
die() { echo "passthrough.sh: error: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=${2:?--duration needs a value like 20s}; shift 2 ;;
    --connections) CONNECTIONS=${2:?--connections needs a number}; shift 2 ;;
    --threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ $CONNECTIONS =~ ^[0-9]+$ && $CONNECTIONS -gt 0 ]] || die "--connections must be a positive number"
[[ $THREADS =~ ^[0-9]+$ && $THREADS -gt 0 ]] || die "--threads must be a positive number"
[ "$THREADS" -le "$CONNECTIONS" ] || THREADS=$CONNECTIONS

# shellcheck source=bench/tools.sh
source bench/tools.sh
install_bench_tools passthrough.sh
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
command -v python3 >/dev/null || die "python3 is needed to pick free ports"

cargo build --release --quiet --bin ecgrid-gateway
BIN=target/release/ecgrid-gateway
[ -x "$BIN" ] || die "$BIN was not built"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ecgrid-passthrough.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
SOAP_PATH=/v4.1/prod/ECGridOS.asmx
ENVELOPE='<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><CarbonCopyList xmlns="https://os.ecgrid.io/"><SessionID>bench-api-key</SessionID></CarbonCopyList></soap:Body></soap:Envelope>'
# wait_soap NAME URL PID: poll until a CarbonCopyList POST to URL answers with
# the fake's result (10 s).
wait_soap() {
  local name=$1 url=$2 pid=$3 answer
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.log" >&2 || true; die "$name exited during startup"; }
    answer=$(curl -sS --max-time 1 -H 'Content-Type: text/xml; charset=utf-8' \
      -H 'SOAPAction: "https://os.ecgrid.io/CarbonCopyList"' --data "$ENVELOPE" "$url$SOAP_PATH" 2>/dev/null || true)
    case "$answer" in *"<CarbonCopyListResult>"*) return 0 ;; esac
    sleep 0.1
  done
  cat "$WORK/$name.log" >&2 || true
  die "$name did not pass CarbonCopyList through within 10 s (last answer: ${answer:0:300})"
}
[ "$(id -u)" = 0 ] && USER_LINE="user root root;" || USER_LINE=""

FAKE_PORT=$(free_port); NGINX_PORT=$(free_port); GW_PORT=$(free_port)
export RUST_LOG=warn

mkdir -p "$WORK/fake" "$WORK/nginx"
sed -e "s|@USER_LINE@|$USER_LINE|" -e "s|@PREFIX@|$WORK/fake|g" -e "s|@LISTEN@|127.0.0.1:$FAKE_PORT|" \
  bench/nginx-legacy.conf >"$WORK/fake/nginx.conf"
"$NGINX" -p "$WORK/fake" -c "$WORK/fake/nginx.conf" -g 'daemon off;' >"$WORK/fake.log" 2>&1 &
FAKE_PID=$!; PIDS+=("$FAKE_PID")
wait_soap fake "http://127.0.0.1:$FAKE_PORT" "$FAKE_PID"

sed -e "s|@USER_LINE@|$USER_LINE|" -e "s|@PREFIX@|$WORK/nginx|g" \
  -e "s|@LISTEN@|127.0.0.1:$NGINX_PORT|" -e "s|@UPSTREAM@|127.0.0.1:$FAKE_PORT|" \
  bench/nginx.conf >"$WORK/nginx/nginx.conf"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' >"$WORK/nginx.log" 2>&1 &
NGINX_PID=$!; PIDS+=("$NGINX_PID")
wait_soap nginx "http://127.0.0.1:$NGINX_PORT" "$NGINX_PID"

# The REST upstream is never called on this route; a closed port makes sure.
"$BIN" serve --listen "127.0.0.1:$GW_PORT" --upstream "http://127.0.0.1:9" \
  --legacy "http://127.0.0.1:$FAKE_PORT" >"$WORK/gateway.log" 2>&1 &
GW_PID=$!; PIDS+=("$GW_PID")
wait_soap gateway "http://127.0.0.1:$GW_PORT" "$GW_PID"

TICKS=$(getconf CLK_TCK)
pids_of() {
  local stat rest f
  echo "$1"
  for stat in /proc/[0-9]*/stat; do
    rest=$(cat "$stat" 2>/dev/null) || continue
    rest=${rest##*) }
    read -ra f <<<"$rest"
    [ "${f[1]}" = "$1" ] && echo "${stat//[^0-9]/}"
  done
  return 0
}
cpu_ticks() {
  local total=0 pid stat f
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    read -ra f <<<"$stat"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

ROWS=()
declare -A P50 RPS CPU
status=0
# run NAME PORT CONNS THREADS "PROXY PIDS"
run() {
  local name=$1 port=$2 conns=$3 threads=$4 pids=$5 c0 c1 out line
  # shellcheck disable=SC2086
  c0=$(cpu_ticks $pids)
  out=$(wrk -t"$threads" -c"$conns" -d"$DURATION" --latency -s bench/passthrough.lua "http://127.0.0.1:$port" 2>&1) \
    || die "wrk failed for $name: $out"
  # shellcheck disable=SC2086
  c1=$(cpu_ticks $pids)
  line=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -1) || die "no RESULT line from wrk for $name: $out"
  local requests duration_us non2xx connect read write timeout p50_us p99_us
  eval "$(printf '%s' "${line#RESULT }" | tr ' ' '\n' | sed 's/^/local /')"
  local fails=$((non2xx + connect + read + write + timeout))
  [ "$fails" = 0 ] && [ "$requests" -gt 0 ] || { echo "passthrough.sh: $name c=$conns: $fails failed of $requests" >&2; status=1; }
  local key="$name/c$conns"
  RPS[$key]=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  P50[$key]=$p50_us
  CPU[$key]=$(awk -v t=$((c1 - c0)) -v hz="$TICKS" -v r="$requests" 'BEGIN { printf "%.1f", r ? t / hz / r * 1e6 : 0 }')
  ROWS+=("| $name | $conns | ${RPS[$key]} | $p50_us | $p99_us | $requests | $fails | ${CPU[$key]} |")
  printf '  %-8s c=%-3s %8s req/s  p50 %6s µs  p99 %6s µs  CPU %s µs/req  failed %s\n' \
    "$name" "$conns" "${RPS[$key]}" "$p50_us" "$p99_us" "${CPU[$key]}" "$fails" >&2
}

FAKE_PIDS=$(pids_of "$FAKE_PID" | tr '\n' ' ')
NGINX_PIDS=$(pids_of "$NGINX_PID" | tr '\n' ' ')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for conns in 1 "$CONNECTIONS"; do
  threads=$THREADS; [ "$conns" = 1 ] && threads=1
  run direct "$FAKE_PORT" "$conns" "$threads" "$FAKE_PIDS"
  run nginx "$NGINX_PORT" "$conns" "$threads" "$NGINX_PIDS"
  run gateway "$GW_PORT" "$conns" "$threads" "$GW_PID"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

added() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a - b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
c=$CONNECTIONS
report=$(
  echo "## Pass-through run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "wrk --latency -d$DURATION, c=1 (1 thread) then c=$c ($THREADS threads); $BIN; $(nproc) CPUs; load average before $LOAD_BEFORE, after $LOAD_AFTER."
  echo "SOAP 1.1 CarbonCopyList (untranslated: the legacy route), SessionID = an API key (passed unchanged); the fake legacy service is nginx returning a fixed answer."
  echo "CPU µs/req is the proxy alone (the fake service for direct; nginx master+workers; the gateway)."
  echo
  echo "| run | conns | req/s | p50 µs | p99 µs | requests | failed | CPU µs/req |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "added p50 over direct, c=1: nginx $(added "${P50[nginx/c1]}" "${P50[direct/c1]}") µs, gateway $(added "${P50[gateway/c1]}" "${P50[direct/c1]}") µs (goal: gateway <= nginx + 20 µs)"
  echo "added p50 over direct, c=$c: nginx $(added "${P50[nginx/c$c]}" "${P50[direct/c$c]}") µs, gateway $(added "${P50[gateway/c$c]}" "${P50[direct/c$c]}") µs"
  echo "CPU per request, c=$c: nginx ${CPU[nginx/c$c]} µs, gateway ${CPU[gateway/c$c]} µs (gateway/nginx $(ratio "${CPU[gateway/c$c]}" "${CPU[nginx/c$c]}"))"
  echo "throughput gateway/nginx, c=$c: $(ratio "${RPS[gateway/c$c]}" "${RPS[nginx/c$c]}")"
)
echo
echo "$report"
mkdir -p bench/results
file="bench/results/passthrough-$(date -u +%Y%m%dT%H%M%SZ).md"
echo "$report" >"$file"
echo "passthrough.sh: wrote $file" >&2
[ "$status" = 0 ] || die "some runs failed (see above)"
echo "passthrough.sh: ok" >&2
