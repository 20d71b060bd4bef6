#!/usr/bin/env bash
# Instructions per SOAP request, counted by valgrind (callgrind): the
# gateway's user-space work without the noise of a shared machine's clock.
#
#   bash bench/instructions.sh [--passthrough] BIN [BIN...]
#
# For each build: starts the REST sandbox (this checkout's release build,
# natively), the gateway BIN under callgrind (`serve --workers 1`, upstream
# the sandbox, RUST_LOG=warn), sends 300 SOAP 1.1 WhoAmI requests to warm it
# up, zeroes the counters, sends 2000 more over 4 kept-alive connections
# (bench/wrk.lua's request), dumps the counters, and prints instructions per
# request (Ir / 2000). Kernel work
# (the system calls themselves) is not counted: compare with bench/ab.sh for
# the whole picture. Writes bench/results/instructions-<UTC date>.md.
# With KEEP_DUMPS=DIR, each build's callgrind dump is kept in DIR (as
# <n>.callgrind) for `callgrind_annotate --inclusive=yes`.
# Loopback only; needs valgrind (apt-get install valgrind).
#
# --passthrough: the legacy route instead (bench/passthrough.sh's request):
# the upstream is bench/nginx-legacy.conf's fake legacy service (nginx, a
# fixed CarbonCopyListResponse), the gateway runs `serve --workers 1
# --legacy` it, and every request is SOAP 1.1 CarbonCopyList (untranslated,
# so passed through; its SessionID an API key, passed unchanged).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "instructions.sh: $*" >&2; exit 1; }
MODE=whoami
if [ "${1:-}" = --passthrough ]; then MODE=passthrough; shift; fi
[ $# -ge 1 ] || die "usage: bash bench/instructions.sh [--passthrough] BIN [BIN...]"
command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"
command -v callgrind_control >/dev/null || die "callgrind_control is missing (valgrind package)"
for bin in "$@"; do [ -x "$bin" ] || die "not an executable: $bin"; done
cargo build --release --bin ecgrid-gateway >&2
SANDBOX_BIN=target/release/ecgrid-gateway
WARMUP=300 MEASURED=2000 CONNS=4
UP=127.0.0.1:18281 GW=127.0.0.1:18282
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

if [ "$MODE" = passthrough ]; then
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
  [ -x "$NGINX" ] || die "nginx is needed for --passthrough (bash bench/passthrough.sh installs it)"
  mkdir -p "$WORK/fake"
  [ "$(id -u)" = 0 ] && USER_LINE="user root root;" || USER_LINE=""
  sed -e "s|@USER_LINE@|$USER_LINE|" -e "s|@PREFIX@|$WORK/fake|g" -e "s|@LISTEN@|$UP|" \
    bench/nginx-legacy.conf >"$WORK/fake/nginx.conf"
  "$NGINX" -p "$WORK/fake" -c "$WORK/fake/nginx.conf" -g 'daemon off;' >"$WORK/fake.log" 2>&1 & PIDS+=($!)
  # The REST upstream is never called on this route; a closed port makes sure.
  UPSTREAM_ARGS=(--upstream "http://127.0.0.1:9" --legacy "http://$UP")
  OPERATION=CarbonCopyList SESSION=bench-api-key
else
  RUST_LOG=warn "$SANDBOX_BIN" sandbox --listen "$UP" >/dev/null 2>&1 & PIDS+=($!)
  UPSTREAM_ARGS=(--upstream "http://$UP")
  OPERATION=WhoAmI SESSION=demo-api-key
fi

# send N: N $OPERATION requests over CONNS kept-alive connections, in turn;
# fails on any answer that is not 200.
send() {
  python3 - "$GW" "$1" "$CONNS" "$OPERATION" "$SESSION" <<'PY'
import http.client, sys
addr, n, conns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
op, session = sys.argv[4], sys.argv[5]
host, port = addr.split(":")
body = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<{op} xmlns="https://os.ecgrid.io/"><SessionID>{session}</SessionID>'
        f'</{op}></soap:Body></soap:Envelope>').encode()
headers = {"Content-Type": "text/xml; charset=utf-8",
           "SOAPAction": f'"https://os.ecgrid.io/{op}"'}
pool = [http.client.HTTPConnection(host, int(port), timeout=60) for _ in range(conns)]
for i in range(n):
    c = pool[i % conns]
    c.request("POST", "/v4.1/prod/ECGridOS.asmx", body, headers)
    r = c.getresponse()
    data = r.read()
    if r.status != 200 or f"<{op}Result>".encode() not in data:
        sys.exit(f"request {i}: HTTP {r.status}: {data[:200]!r}")
PY
}

ROWS=()
for bin in "$@"; do
  out="$WORK/callgrind.out"
  RUST_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$bin" serve --workers 1 --listen "$GW" "${UPSTREAM_ARGS[@]}" >"$WORK/gw.log" 2>&1 &
  vg=$!
  PIDS+=($vg)
  for _ in $(seq 300); do
    curl -s -o /dev/null "http://$GW/healthz" && break
    sleep 0.2
  done
  curl -s -o /dev/null "http://$GW/healthz" || die "the gateway under valgrind did not start: $(tail -5 "$WORK/gw.log")"
  send "$WARMUP"
  callgrind_control -z "$vg" >/dev/null
  send "$MEASURED"
  callgrind_control -d "$vg" >/dev/null
  kill "$vg"; wait "$vg" 2>/dev/null || true
  # The dump after zeroing is the file with the highest part number.
  dump=$(ls -v "$out".* 2>/dev/null | tail -1)
  [ -n "$dump" ] || die "no callgrind dump for $bin"
  total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
  [ -n "$total" ] || die "no totals in the callgrind dump for $bin"
  per=$((total / MEASURED))
  ROWS+=("| \`$bin\` | $total | $per |")
  echo "$bin: $per instructions per request" >&2
  if [ -n "${KEEP_DUMPS:-}" ]; then
    mkdir -p "$KEEP_DUMPS"
    cp "$dump" "$KEEP_DUMPS/${#ROWS[@]}.callgrind"
  fi
  rm -f "$out"*
done

report=$(
  echo "## Instructions per request $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "valgrind --tool=callgrind, \`serve --workers 1\`, RUST_LOG=warn; $WARMUP requests of warm-up, then $MEASURED SOAP 1.1 $OPERATION ($MODE) over $CONNS kept-alive connections; user-space instructions only (system calls not counted)."
  echo
  echo "| build | Ir for $MEASURED requests | Ir per request |"
  echo "|---|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
)
mkdir -p bench/results
file="bench/results/instructions-$(date -u +%Y%m%dT%H%M%SZ).md"
printf '%s\n' "$report" >"$file"
printf '%s\n' "$report"
echo "instructions.sh: wrote $file" >&2
