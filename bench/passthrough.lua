-- wrk script for bench/passthrough.sh: one SOAP 1.1 CarbonCopyList (an
-- operation the gateway does not translate) whose SessionID is an API key,
-- so the gateway passes it through unchanged to the legacy service. At the
-- end it prints one RESULT line that passthrough.sh parses.
wrk.method = "POST"
wrk.path = "/v4.1/prod/ECGridOS.asmx"
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = '"https://os.ecgrid.io/CarbonCopyList"'
wrk.body = '<?xml version="1.0" encoding="utf-8"?>'
  .. '<soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
  .. 'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
  .. 'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
  .. '<soap:Body><CarbonCopyList xmlns="https://os.ecgrid.io/">'
  .. '<SessionID>bench-api-key</SessionID>'
  .. '</CarbonCopyList></soap:Body></soap:Envelope>'

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
