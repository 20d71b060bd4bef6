#!/usr/bin/env python3
"""Peak RSS growth of the gateway for one large ParcelUpload and one large
ParcelDownload, through SOAP on loopback.

    python3 bench/parcel_rss.py target/release/ecgrid-gateway 50 [separate|inprocess|both|legacy]

`separate` (the gateway's own cost): the sandbox runs as its own process
(`ecgrid-gateway sandbox`) and the gateway (`serve --upstream`) is measured
alone; the sandbox's growth is printed beside it. `inprocess`: `serve
--sandbox`, one process holding the gateway's copies and the sandbox's
(about 2.3x the file for an upload: its request body and the decoded file).
`both` (the default) runs one after the other. `legacy`: the upload routed
to a legacy ECGridOS service (`--legacy`, `--route ParcelUpload=legacy`; a
loopback stand-in here that reads and drops what it gets), sent with a
`Content-Length` and then chunked, each on a fresh gateway: the request
body passed on as it arrives (issue 15).

Prints VmHWM (the peak resident set) growth of each step against the file's
size. VmHWM only grows, so the download's figure is what it adds above the
upload's peak.
"""
import base64, http.client, http.server, re, subprocess, sys, threading, time

binary, mib = sys.argv[1], int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else "both"
assert mode in ("separate", "inprocess", "both", "legacy"), f"unknown mode {mode}"

isa = ("ISA*00*          *00*          *ZZ*ECGRIDDEMO     *ZZ*ECGRIDPARTNER  *260507*1030*U*00401*000000001*0*T*>~"
       "GS*PO*ECGRIDDEMO*ECGRIDPARTNER*20260507*1030*1*X*004010~ST*850*0001~")
edi = (isa + "PO1*1*10*EA*9.99**VP*WIDGET~" * (mib * 1024 * 1024 // 28)).encode()
content = base64.b64encode(edi).decode()
size = len(edi) / 1048576


def start(args, pattern):
    proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for _ in range(50):
        found = re.search(pattern, proc.stdout.readline())
        if found:
            # Keep draining its output so a full pipe never blocks it.
            subprocess.Popen(["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL)
            return proc, found.group(1)
    proc.kill()
    raise SystemExit(f"{args[0]}: no start line")


def hwm(proc):
    with open(f"/proc/{proc.pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) // 1024


def call(port, op, params, chunked=False):
    body = "".join(f"<{k}>{v}</{k}>" for k, v in params)
    env = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
           f'<soap:Body><{op} xmlns="https://os.ecgrid.io/">{body}</{op}></soap:Body></soap:Envelope>').encode()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"https://os.ecgrid.io/{op}"'}
    if chunked:
        pieces = (env[i:i + 256 * 1024] for i in range(0, len(env), 256 * 1024))
        c.request("POST", "/v4.1/prod/ECGridOS.asmx", pieces, headers, encode_chunked=True)
    else:
        c.request("POST", "/v4.1/prod/ECGridOS.asmx", env, headers)
    r = c.getresponse()
    data = r.read().decode()
    assert r.status == 200, data[:500]
    return data


def text(xml, tag):
    return re.search(f"<{tag}>([^<]*)</{tag}>", xml).group(1)


def login(port, name, password):
    return text(call(port, "Login", [("LoginName", name), ("Password", password)]), "LoginResult")


def upload(gateway, port):
    """The upload's growth of `gateway`'s peak (MiB) and its seconds."""
    demo = login(port, "demo", "Demo#2026")
    base = hwm(gateway)
    t = time.time()
    call(port, "ParcelUpload", [("SessionID", demo), ("FileName", "big.edi"), ("Bytes", len(edi)), ("Content", content)])
    return hwm(gateway) - base, time.time() - t


def download(gateway, port):
    """The download's growth of `gateway`'s peak (MiB) and its seconds; the
    bytes are checked."""
    partner = login(port, "partner", "Partner#2026")
    inbox = call(port, "ParcelInBox", [("SessionID", partner)])
    pid = re.findall(r"<ParcelID>(\d+)</ParcelID></ParcelIDInfo>", inbox)[-1]
    base = hwm(gateway)
    t = time.time()
    got = call(port, "ParcelDownload", [("SessionID", partner), ("ParcelID", pid)])
    seconds = time.time() - t
    grown = hwm(gateway) - base
    assert base64.b64decode(text(got, "Content")) == edi
    return grown, seconds


class LegacyStandIn(http.server.ThreadingHTTPServer):
    """A loopback stand-in for the legacy service: reads each request's
    body (Content-Length or chunked) in pieces, counts and drops it, and
    answers a fixed ParcelUploadResponse."""

    def __init__(self):
        self.received = 0
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's name
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    while (size := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                        stand_in.drop(size, self.rfile)
                        self.rfile.readline()
                    self.rfile.readline()
                else:
                    stand_in.drop(int(self.headers["Content-Length"]), self.rfile)
                answer = ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
                          '<ParcelUploadResponse xmlns="https://os.ecgrid.io/"><ParcelUploadResult>1</ParcelUploadResult>'
                          '</ParcelUploadResponse></soap:Body></soap:Envelope>').encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def drop(self, size, rfile):
        while size > 0:
            piece = rfile.read(min(size, 1 << 20))
            if not piece:
                raise ConnectionError("the body ended early")
            size -= len(piece)
            self.received += len(piece)


def legacy_upload(chunked):
    """The legacy-routed upload's growth of a fresh gateway's peak (MiB)."""
    stand_in = LegacyStandIn()
    gateway, port = start(["serve", "--upstream", "http://127.0.0.1:9", "--legacy", f"http://127.0.0.1:{stand_in.server_port}",
                           "--route", "ParcelUpload=legacy", "--listen", "127.0.0.1:0", "--workers", "1"],
                          r"listening on http://127\.0\.0\.1:(\d+)")
    try:
        base = hwm(gateway)
        t = time.time()
        answer = call(int(port), "ParcelUpload", [("SessionID", "api-key-123"), ("FileName", "big.edi"),
                                                  ("Bytes", len(edi)), ("Content", content)], chunked)
        assert "<ParcelUploadResult>1</ParcelUploadResult>" in answer, answer[:300]
        assert stand_in.received > len(content), stand_in.received
        return hwm(gateway) - base, time.time() - t
    finally:
        stop(gateway)
        stand_in.shutdown()


def report(label, step, grown, seconds, more=""):
    print(f"[{label}] {step}: peak +{grown} MiB = {grown / size:.2f}x the file, {seconds:.2f} s{more}")


def stop(*procs):
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=30)


print(f"file {size:.1f} MiB ({len(content)/1048576:.1f} MiB base64), {binary}")
if mode in ("separate", "both"):
    # A fresh gateway for each step, so the download's peak is its own
    # (VmHWM never falls): only the sandbox keeps the parcel between them.
    label = "gateway alone, sandbox a separate process"
    sandbox, upstream = start(["sandbox", "--listen", "127.0.0.1:0"], r"sandbox listening on (http://127\.0\.0\.1:\d+)")
    try:
        for step in (upload, download):
            gateway, port = start(["serve", "--upstream", upstream, "--listen", "127.0.0.1:0", "--workers", "1"],
                                  r"listening on http://127\.0\.0\.1:(\d+)")
            try:
                sbase = hwm(sandbox)
                grown, seconds = step(gateway, int(port))
                report(label, step.__name__, grown, seconds,
                       f" (the sandbox process: +{hwm(sandbox) - sbase} MiB)")
            finally:
                stop(gateway)
    finally:
        stop(sandbox)
if mode in ("inprocess", "both"):
    label = "serve --sandbox, one process"
    gateway, port = start(["serve", "--sandbox", "--listen", "127.0.0.1:0", "--workers", "1"],
                          r"listening on http://127\.0\.0\.1:(\d+)")
    try:
        report(label, "upload", *upload(gateway, int(port)))
        report(label, "download", *download(gateway, int(port)), " more, above the upload's peak")
    finally:
        stop(gateway)
if mode == "legacy":
    label = "legacy route, the legacy service a separate stand-in"
    report(label, "upload with Content-Length", *legacy_upload(False))
    report(label, "upload chunked", *legacy_upload(True))
