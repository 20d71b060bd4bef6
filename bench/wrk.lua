-- wrk script for bench/load.sh. BENCH_KIND=rest sends the REST call
-- (GET /v2/users/me with X-API-Key); BENCH_KIND=soap sends the equivalent
-- SOAP 1.1 WhoAmI whose SessionID is the same API key (the gateway passes an
-- unknown SessionID upstream as X-API-Key), or a SessionID from Login when
-- load.sh passes one in BENCH_API_KEY (its run (d)). At the end it prints one line
-- starting with RESULT that load.sh parses.
local kind = os.getenv("BENCH_KIND") or "rest"
local key = os.getenv("BENCH_API_KEY") or "demo-api-key"

if kind == "soap" then
  wrk.method = "POST"
  wrk.path = "/v4.1/prod/ECGridOS.asmx"
  wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
  wrk.headers["SOAPAction"] = '"https://os.ecgrid.io/WhoAmI"'
  wrk.body = '<?xml version="1.0" encoding="utf-8"?>'
    .. '<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    .. 'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    .. 'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    .. '<soap:Body><WhoAmI xmlns="https://os.ecgrid.io/">'
    .. '<SessionID>' .. key .. '</SessionID>'
    .. '</WhoAmI></soap:Body></soap:Envelope>'
else
  wrk.method = "GET"
  wrk.path = "/v2/users/me"
  wrk.headers["X-API-Key"] = key
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
