#!/usr/bin/env bash
# Peak RSS growth of a standalone sandbox for one upload and one download of
# a SIZE-MiB file (default 50), as `serve --sandbox` would add it to the
# gateway's process. Linux only (/proc/PID/status VmHWM, reset through
# /proc/PID/clear_refs). Usage: bench/sandbox_parcel_rss.sh [BINARY] [SIZE_MIB]
set -euo pipefail
BIN=${1:-target/debug/ecgrid-gateway}
MIB=${2:-50}
PORT=${PORT:-18381}
URL=http://127.0.0.1:$PORT
DIR=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
python3 - "$DIR" "$MIB" <<'PY'
import base64, json, os, sys
d, mib = sys.argv[1], int(sys.argv[2])
data = os.urandom(mib << 20)
open(f"{d}/file.bin", "wb").write(data)
json.dump({"fileName": "f.bin", "content": base64.b64encode(data).decode(), "ecGridIdTo": 200201},
          open(f"{d}/up.json", "w"))
PY
"$BIN" sandbox --listen "127.0.0.1:$PORT" >"$DIR/out" 2>"$DIR/err" &
PID=$!
for _ in $(seq 50); do grep -q listening "$DIR/out" 2>/dev/null && break; sleep 0.1; done
kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$PID/status"; }
echo 5 >"/proc/$PID/clear_refs"; B=$(kb VmRSS)
curl -sf -o "$DIR/up.out" -H 'X-API-Key: demo-api-key' -H 'Content-Type: application/json' \
  --data-binary @"$DIR/up.json" "$URL/v2/parcels/upload"
UP=$(( ($(kb VmHWM) - B) / 1024 ))
IN=$(curl -sf -H 'X-API-Key: partner-api-key' -d '{}' "$URL/v2/parcels/pending-inbox-list" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][-1]["parcelId"])')
echo 5 >"/proc/$PID/clear_refs"; B=$(kb VmRSS)
curl -sf -o "$DIR/down.json" -H 'X-API-Key: partner-api-key' -d "{\"parcelId\":$IN}" "$URL/v2/parcels/download"
DOWN=$(( ($(kb VmHWM) - B) / 1024 ))
SAME=$(python3 -c "
import json,base64,sys; d=json.load(open('$DIR/down.json'))['data']
print(base64.b64decode(d['content'])==open('$DIR/file.bin','rb').read())")
echo "file ${MIB} MiB ($BIN): upload peak RSS growth ${UP} MiB, download peak RSS growth ${DOWN} MiB, bytes identical: $SAME"
