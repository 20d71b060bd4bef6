#!/usr/bin/env bash
# Load benchmark of the gateway against the REST call it makes, side by side.
#
#   bash bench/load.sh [--duration 30s] [--connections 64] [--threads 2]
#                      [--rounds 1] [--latency-run] [--redis] [--scrape]
#                      [--smoke]
#
# Starts the REST v2 sandbox (`ecgrid-gateway sandbox`) as the one upstream,
# nginx (bench/nginx.conf) as a plain reverse proxy in front of it, and the
# gateway (`serve --upstream` the sandbox), then runs wrk with the same
# threads, connections and duration against:
#   (a) direct  : GET /v2/users/me (X-API-Key) on the sandbox
#   (b) nginx   : the same REST call through nginx
#   (c) gateway : SOAP 1.1 WhoAmI with SessionID = the API key, which the
#                 gateway answers with one GET /v2/users/me upstream
#   (d) session : the same WhoAmI with a SessionID from Login (the demo
#                 account), as legacy clients call: the gateway looks the
#                 session up and calls upstream with its bearer token
#   (e) session-redis (with --redis): the same Login-session WhoAmI on a
#                 second gateway with --sessions redis://… (a redis-server of
#                 the script's own on a free loopback port, Debian's package
#                 installed if missing; its near-cache answers, re-reading
#                 Redis every 2 s per session)
# --scrape: a loop GETs /metrics of each gateway once a second during the
# runs (as Prometheus would, more often), so its cost is in the numbers.
# For each run it reports req/s, p50/p99, CPU seconds per 1000 requests of
# the process under test alone and with the upstream sandbox, and peak RSS
# (VmHWM), plus the ratios gateway/nginx throughput and added p50 over
# direct. --rounds N repeats the four runs N times back to back (direct,
# nginx, gateway, session, direct, ...) and reports each round's ratios and their
# median: on a shared machine whose speed drifts, one round can land nginx
# and the gateway in different phases. --latency-run adds a pass with 1
# connection, where p50 is the per-request cost rather than queueing. Results go to
# bench/results/load-<UTC date>.md and stdout.
#
# --smoke: about 2 s per run with the debug binary (built only if missing),
# no results file; fails unless every run had successful requests and no
# non-2xx answers or socket errors. tests/run.sh runs it; its report says
# its numbers are not measurements.
#
# Tools: wrk, nginx-light and curl are installed with apt-get when missing
# (bench/tools.sh, which stops and disables the nginx service the package
# starts); nginx runs from its binary with a temporary prefix.
#
# BENCH_RUST_LOG=info keeps the per-request log lines (default: warn).
# BENCH_GATEWAY_BIN=PATH runs (c) and (d) with another build of the gateway (an A/B
# against an older commit; the sandbox stays this build), and
# BENCH_GATEWAY_ARGS="--workers 1" adds `serve` flags (word-split).
#
# Everything listens on 127.0.0.1; every wait is bounded; a trap stops every
# process the script started.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=30s
CONNECTIONS=64
THREADS=2
SMOKE=0
LATENCY_RUN=0
ROUNDS=1
REDIS=0
SCRAPE=0
API_KEY=${BENCH_API_KEY:-demo-api-key}  # the sandbox demo account's key
LOGIN=${BENCH_LOGIN:-demo}               # and its login and password, for (d)
PASSWORD=${BENCH_PASSWORD:-Demo#2026}

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "load.sh: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=${2:?--duration needs a value like 30s}; shift 2 ;;
    --connections) CONNECTIONS=${2:?--connections needs a number}; shift 2 ;;
    --threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
    --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
    --latency-run) LATENCY_RUN=1; shift ;;
    --redis) REDIS=1; shift ;;
    --scrape) SCRAPE=1; shift ;;
    --smoke) SMOKE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ $CONNECTIONS =~ ^[0-9]+$ && $CONNECTIONS -gt 0 ]] || die "--connections must be a positive number"
[[ $THREADS =~ ^[0-9]+$ && $THREADS -gt 0 ]] || die "--threads must be a positive number"
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 && $ROUNDS -le 20 ]] || die "--rounds must be a number from 1 to 20"
[ "$THREADS" -le "$CONNECTIONS" ] || THREADS=$CONNECTIONS
if [ "$SMOKE" = 1 ]; then DURATION=2s; fi

# --- tools -----------------------------------------------------------------
# shellcheck source=bench/tools.sh
source bench/tools.sh
install_bench_tools load.sh
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ "$REDIS" = 1 ] && ! command -v redis-server >/dev/null; then
  echo "load.sh: installing redis-server (Debian package)"
  [ "$(id -u)" = 0 ] && SUDO="" || SUDO="sudo -n"
  { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server; } \
    || die "could not install redis-server with apt-get; install it and run again"
  # The package's own service is not what the benchmark uses.
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/redis-server ]; then
    $SUDO /etc/init.d/redis-server stop >/dev/null 2>&1 || true
    $SUDO update-rc.d redis-server disable >/dev/null 2>&1 || true
  fi
fi
command -v python3 >/dev/null || die "python3 is needed to pick free ports"

# --- binary ----------------------------------------------------------------
if [ "$SMOKE" = 1 ]; then
  BIN=target/debug/ecgrid-gateway
  [ -x "$BIN" ] || cargo build --quiet --bin ecgrid-gateway
else
  cargo build --release --quiet --bin ecgrid-gateway
  BIN=target/release/ecgrid-gateway
fi
[ -x "$BIN" ] || die "$BIN was not built"
GW_BIN=${BENCH_GATEWAY_BIN:-$BIN}
[ -x "$GW_BIN" ] || die "BENCH_GATEWAY_BIN=$GW_BIN is not an executable"
read -r -a GW_ARGS <<<"${BENCH_GATEWAY_ARGS:-}"

# --- processes -------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ecgrid-load.XXXXXX")
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

# wait_http NAME URL PID [EXTRA CURL ARGS]: poll until URL answers 2xx (10 s).
wait_http() {
  local name=$1 url=$2 pid=$3
  shift 3
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.log" >&2 || true; die "$name exited during startup"; }
    if curl -fsS -o /dev/null --max-time 1 "$@" "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  cat "$WORK/$name.log" >&2 || true
  die "$name did not answer $url within 10 s"
}

UP_PORT=$(free_port); NGINX_PORT=$(free_port); GW_PORT=$(free_port)
# Request logs off by default (as nginx's access_log); BENCH_RUST_LOG=info
# measures the gateway with its default per-request log line.
export RUST_LOG=${BENCH_RUST_LOG:-warn}

"$BIN" sandbox --listen "127.0.0.1:$UP_PORT" >"$WORK/sandbox.log" 2>&1 &
SANDBOX_PID=$!; PIDS+=("$SANDBOX_PID")
wait_http sandbox "http://127.0.0.1:$UP_PORT/v2/users/me" "$SANDBOX_PID" -H "X-API-Key: $API_KEY"

mkdir -p "$WORK/nginx"
if [ "$(id -u)" = 0 ]; then USER_LINE="user root root;"; else USER_LINE=""; fi
sed -e "s|@USER_LINE@|$USER_LINE|" -e "s|@PREFIX@|$WORK/nginx|g" \
  -e "s|@LISTEN@|127.0.0.1:$NGINX_PORT|" -e "s|@UPSTREAM@|127.0.0.1:$UP_PORT|" \
  bench/nginx.conf >"$WORK/nginx/nginx.conf"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' >"$WORK/nginx.log" 2>&1 &
NGINX_PID=$!; PIDS+=("$NGINX_PID")
wait_http nginx "http://127.0.0.1:$NGINX_PORT/v2/users/me" "$NGINX_PID" -H "X-API-Key: $API_KEY"

"$GW_BIN" serve --listen "127.0.0.1:$GW_PORT" --upstream "http://127.0.0.1:$UP_PORT" ${GW_ARGS[@]+"${GW_ARGS[@]}"} >"$WORK/gateway.log" 2>&1 &
GW_PID=$!; PIDS+=("$GW_PID")
wait_http gateway "http://127.0.0.1:$GW_PORT/healthz" "$GW_PID"

if [ "$REDIS" = 1 ]; then
  REDIS_PORT=$(free_port); GW2_PORT=$(free_port)
  mkdir -p "$WORK/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$WORK/redis" --daemonize no >"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!; PIDS+=("$REDIS_PID")
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break
    kill -0 "$REDIS_PID" 2>/dev/null || { cat "$WORK/redis.log" >&2; die "redis-server exited during startup"; }
    sleep 0.1
  done
  SESSION_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
  ECGRID_GATEWAY_SESSION_KEY=$SESSION_KEY "$GW_BIN" serve --listen "127.0.0.1:$GW2_PORT" \
    --upstream "http://127.0.0.1:$UP_PORT" --sessions "redis://127.0.0.1:$REDIS_PORT" \
    ${GW_ARGS[@]+"${GW_ARGS[@]}"} >"$WORK/gateway-redis.log" 2>&1 &
  GW2_PID=$!; PIDS+=("$GW2_PID")
  wait_http gateway-redis "http://127.0.0.1:$GW2_PORT/readyz" "$GW2_PID"
fi

# The SOAP call must be a real answer, not a fault, before it is timed.
SOAP_URL="http://127.0.0.1:$GW_PORT/v4.1/prod/ECGridOS.asmx"
BENCH_KIND=soap BENCH_API_KEY=$API_KEY wrk -t1 -c1 -d1s -s bench/wrk.lua "$SOAP_URL" >/dev/null 2>&1 || true
answer=$(curl -sS --max-time 5 -H 'Content-Type: text/xml; charset=utf-8' \
  -H 'SOAPAction: "https://os.ecgrid.io/WhoAmI"' \
  --data "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><WhoAmI xmlns=\"https://os.ecgrid.io/\"><SessionID>$API_KEY</SessionID></WhoAmI></soap:Body></soap:Envelope>" \
  "$SOAP_URL") || die "the gateway did not answer WhoAmI"
case "$answer" in
  *"<WhoAmIResult>"*) ;;
  *) die "WhoAmI through the gateway did not succeed: $(printf '%s' "$answer" | head -c 300)" ;;
esac

# (d) needs a gateway session: Login once; every (d) request reuses it.
login_answer=$(curl -sS --max-time 5 -H 'Content-Type: text/xml; charset=utf-8' \
  -H 'SOAPAction: "https://os.ecgrid.io/Login"' \
  --data "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><Login xmlns=\"https://os.ecgrid.io/\"><LoginName>$LOGIN</LoginName><Password>$PASSWORD</Password></Login></soap:Body></soap:Envelope>" \
  "$SOAP_URL") || die "the gateway did not answer Login"
SESSION_ID=$(printf '%s' "$login_answer" | sed -n 's|.*<LoginResult>\([0-9A-Fa-f-]\{36\}\)</LoginResult>.*|\1|p')
[ -n "$SESSION_ID" ] || die "Login through the gateway did not return a SessionID: $(printf '%s' "$login_answer" | head -c 300)"
if [ "$REDIS" = 1 ]; then
  login_answer=$(curl -sS --max-time 5 -H 'Content-Type: text/xml; charset=utf-8' \
    -H 'SOAPAction: "https://os.ecgrid.io/Login"' \
    --data "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><Login xmlns=\"https://os.ecgrid.io/\"><LoginName>$LOGIN</LoginName><Password>$PASSWORD</Password></Login></soap:Body></soap:Envelope>" \
    "http://127.0.0.1:$GW2_PORT/v4.1/prod/ECGridOS.asmx") || die "the Redis gateway did not answer Login"
  REDIS_SESSION_ID=$(printf '%s' "$login_answer" | sed -n 's|.*<LoginResult>\([0-9A-Fa-f-]\{36\}\)</LoginResult>.*|\1|p')
  [ -n "$REDIS_SESSION_ID" ] || die "Login through the Redis gateway did not return a SessionID: $(printf '%s' "$login_answer" | head -c 300)"
fi
if [ "$SCRAPE" = 1 ]; then
  # One scrape a second of each gateway's /metrics for as long as the runs go.
  (
    while :; do
      curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$GW_PORT/metrics" || true
      [ "$REDIS" = 0 ] || curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$GW2_PORT/metrics" || true
      sleep 1
    done
  ) &
  PIDS+=("$!")
fi

# --- measurement helpers ---------------------------------------------------
TICKS=$(getconf CLK_TCK)

# pids_of ROOT: ROOT and its children (nginx master + workers), from /proc
# (no procps needed).
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

# cpu_ticks PID...: utime + stime of the processes, in clock ticks.
cpu_ticks() {
  local total=0 pid stat f
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }  # drop "pid (comm) " (comm may hold spaces)
    read -ra f <<<"$stat"
    total=$((total + f[11] + f[12]))  # utime, stime: fields 14, 15 of the line
  done
  echo "$total"
}

# hwm_kib PID...: the sum of the processes' peak RSS (VmHWM), KiB.
hwm_kib() {
  local total=0 pid v
  for pid in "$@"; do
    v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

ROWS=()
declare -A RPS P50 FAILS

# run NAME KIND URL CONNS THREADS "SERVER PIDS" "UPSTREAM PIDS" [CREDENTIAL]
# CREDENTIAL (default the API key) is the X-API-Key or the SOAP SessionID.
run() {
  local name=$1 kind=$2 url=$3 conns=$4 threads=$5 server=$6 upstream=$7 credential=${8:-$API_KEY}
  local s0 u0 s1 u1 out line
  # shellcheck disable=SC2086
  s0=$(cpu_ticks $server); u0=$(cpu_ticks $upstream)
  out=$(BENCH_KIND=$kind BENCH_API_KEY=$credential \
    wrk -t"$threads" -c"$conns" -d"$DURATION" --latency -s bench/wrk.lua "$url" 2>&1) \
    || die "wrk failed for $name: $out"
  # shellcheck disable=SC2086
  s1=$(cpu_ticks $server); u1=$(cpu_ticks $upstream)
  line=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -1) || die "no RESULT line from wrk for $name: $out"
  local requests duration_us non2xx connect read write timeout p50_us p99_us
  eval "$(printf '%s' "${line#RESULT }" | tr ' ' '\n' | sed 's/^/local /')"
  local fails=$((non2xx + connect + read + write + timeout))
  local key="$name/c$conns/r$ROUND"
  # shellcheck disable=SC2086
  local rss_s rss_u; rss_s=$(hwm_kib $server); rss_u=$(hwm_kib $upstream)
  RPS[$key]=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  P50[$key]=$p50_us
  FAILS[$key]=$fails
  local cpu_s cpu_all
  cpu_s=$(awk -v t=$((s1 - s0)) -v hz="$TICKS" -v r="$requests" 'BEGIN { printf "%.3f", r ? t / hz / r * 1000 : 0 }')
  if [ -n "$upstream" ]; then
    cpu_all=$(awk -v t=$((s1 - s0 + u1 - u0)) -v hz="$TICKS" -v r="$requests" 'BEGIN { printf "%.3f", r ? t / hz / r * 1000 : 0 }')
  else
    cpu_all=$cpu_s
  fi
  local rss_all=$rss_s
  [ -n "$upstream" ] && rss_all=$((rss_s + rss_u))
  local label=$name
  [ "$ROUNDS" -gt 1 ] && [ "$conns" != 1 ] && label="$name (round $ROUND)"
  ROWS+=("| $label | $conns | ${RPS[$key]} | $(awk -v u="$p50_us" 'BEGIN{printf "%.0f", u}') | $(awk -v u="$p99_us" 'BEGIN{printf "%.0f", u}') | $requests | $fails | $cpu_s | $cpu_all | $(mib "$rss_s") | $(mib "$rss_all") |")
  printf '  %-8s c=%-3s %8s req/s  p50 %6s µs  p99 %6s µs  failed %s\n' "$name" "$conns" "${RPS[$key]}" "$p50_us" "$p99_us" "$fails" >&2
}

NGINX_PIDS=$(pids_of "$NGINX_PID" | tr '\n' ' ')
pass() {
  local conns=$1 threads=$2
  run direct rest "http://127.0.0.1:$UP_PORT" "$conns" "$threads" "$SANDBOX_PID" ""
  run nginx rest "http://127.0.0.1:$NGINX_PORT" "$conns" "$threads" "$NGINX_PIDS" "$SANDBOX_PID"
  run gateway soap "http://127.0.0.1:$GW_PORT" "$conns" "$threads" "$GW_PID" "$SANDBOX_PID"
  run session soap "http://127.0.0.1:$GW_PORT" "$conns" "$threads" "$GW_PID" "$SANDBOX_PID" "$SESSION_ID"
  if [ "$REDIS" = 1 ]; then
    run session-redis soap "http://127.0.0.1:$GW2_PORT" "$conns" "$threads" "$GW2_PID" "$SANDBOX_PID $REDIS_PID" "$REDIS_SESSION_ID"
  fi
}

echo "load.sh: wrk -t$THREADS -c$CONNECTIONS -d$DURATION against direct, nginx, gateway, session ($GW_BIN ${GW_ARGS[*]+${GW_ARGS[*]}})" >&2
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for ROUND in $(seq "$ROUNDS"); do
  pass "$CONNECTIONS" "$THREADS"
done
ROUND=1
[ "$LATENCY_RUN" = 1 ] && pass 1 1
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
added() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a - b }'; }
# round_ratios A B: A/B throughput of each round at $CONNECTIONS, comma-separated.
round_ratios() {
  local r out=()
  for r in $(seq "$ROUNDS"); do
    out+=("$(ratio "${RPS[$1/c$CONNECTIONS/r$r]}" "${RPS[$2/c$CONNECTIONS/r$r]}")")
  done
  local IFS=,
  echo "${out[*]}" | sed 's/,/, /g'
}
# median_ratio A B: the median of round_ratios A B.
median_ratio() {
  round_ratios "$1" "$2" | tr -d ' ' | tr ',' '\n' | sort -g \
    | awk '{ a[NR] = $1 } END { printf "%.2f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
c=$CONNECTIONS
report=$(
  if [ "$SMOKE" = 1 ]; then
    echo "## Smoke run $(date -u +%Y-%m-%dT%H:%M:%SZ): NOT A MEASUREMENT"
    echo
    echo "These numbers only show that every path answered: ~2 s per run of the debug build on a shared machine, while other work may be running. They are not measurements and a low ratio is not a failure; BENCHMARKS.md has the measured figures (bash bench/load.sh --rounds 5, release build)."
  else
    echo "## Load run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  fi
  echo
  echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS round(s); binary $BIN; gateway $GW_BIN ${GW_ARGS[*]+${GW_ARGS[*]}}; RUST_LOG=$RUST_LOG; $(nproc) CPUs; load average before $LOAD_BEFORE, after $LOAD_AFTER."
  echo "(a) direct: GET /v2/users/me on the sandbox; (b) nginx: the same through nginx; (c) gateway: SOAP 1.1 WhoAmI (one GET /v2/users/me upstream), SessionID = the API key; (d) session: the same WhoAmI with a SessionID from Login (bearer token upstream)."
  [ "$REDIS" = 0 ] || echo "(e) session-redis: (d) on a second gateway with --sessions redis:// (own redis-server; CPU/RSS + upstream include redis-server)."
  [ "$SCRAPE" = 0 ] || echo "/metrics of each gateway scraped once a second throughout."
  echo "CPU and RSS \"alone\" count the process under test (sandbox for direct, nginx master+workers, gateway for gateway and session); \"+ upstream\" adds the sandbox."
  echo "Peak RSS is VmHWM since the process started (the sandbox serves every run, so its peak only grows)."
  echo
  echo "| run | conns | req/s | p50 µs | p99 µs | requests | failed | CPU s/1000 req alone | CPU s/1000 req + upstream | peak RSS MiB alone | peak RSS MiB + upstream |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  if [ "$ROUNDS" -gt 1 ]; then
    echo "gateway/nginx throughput: $(median_ratio gateway nginx) (median of $ROUNDS rounds; per round: $(round_ratios gateway nginx))"
    echo "gateway/direct throughput: $(median_ratio gateway direct) (median; per round: $(round_ratios gateway direct))"
    echo "session/nginx throughput: $(median_ratio session nginx) (median; per round: $(round_ratios session nginx))"
    [ "$REDIS" = 0 ] || echo "session-redis/session throughput: $(median_ratio session-redis session) (median; per round: $(round_ratios session-redis session))"
  else
    echo "gateway/nginx throughput: $(ratio "${RPS[gateway/c$c/r1]}" "${RPS[nginx/c$c/r1]}")"
    echo "gateway/direct throughput: $(ratio "${RPS[gateway/c$c/r1]}" "${RPS[direct/c$c/r1]}")"
    echo "session/nginx throughput: $(ratio "${RPS[session/c$c/r1]}" "${RPS[nginx/c$c/r1]}")"
    [ "$REDIS" = 0 ] || echo "session-redis/session throughput: $(ratio "${RPS[session-redis/c$c/r1]}" "${RPS[session/c$c/r1]}")"
  fi
  echo "gateway added p50 over direct (c=$c, round 1): $(added "${P50[gateway/c$c/r1]}" "${P50[direct/c$c/r1]}") µs"
  echo "nginx added p50 over direct (c=$c, round 1): $(added "${P50[nginx/c$c/r1]}" "${P50[direct/c$c/r1]}") µs"
  if [ "$LATENCY_RUN" = 1 ]; then
    echo "gateway added p50 over direct (c=1): $(added "${P50[gateway/c1/r1]}" "${P50[direct/c1/r1]}") µs"
    echo "session added p50 over direct (c=1): $(added "${P50[session/c1/r1]}" "${P50[direct/c1/r1]}") µs"
    echo "nginx added p50 over direct (c=1): $(added "${P50[nginx/c1/r1]}" "${P50[direct/c1/r1]}") µs"
  fi
)
echo
echo "$report"

status=0
for key in "${!FAILS[@]}"; do
  if [ "${FAILS[$key]}" != 0 ] || [ "${RPS[$key]}" = 0 ]; then
    echo "load.sh: $key: ${RPS[$key]} req/s with ${FAILS[$key]} failed requests" >&2
    status=1
  fi
done

if [ "$SMOKE" = 0 ]; then
  mkdir -p bench/results
  file="bench/results/load-$(date -u +%Y%m%dT%H%M%SZ).md"
  echo "$report" >"$file"
  echo "load.sh: wrote $file" >&2
fi
[ "$status" = 0 ] || die "some runs failed (see above)"
if [ "$SMOKE" = 1 ]; then
  echo "load.sh: ok (smoke: every path answered; the numbers above are not measurements)" >&2
else
  echo "load.sh: ok" >&2
fi
