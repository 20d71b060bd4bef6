#!/usr/bin/env python3
"""Peak RSS growth of the gateway for one large ParcelUpload and one large
ParcelDownload, through SOAP on loopback.

    python3 bench/parcel_rss.py target/release/ecgrid-gateway 50 [separate|inprocess|both]

`separate` (the gateway's own cost): the sandbox runs as its own process
(`ecgrid-gateway sandbox`) and the gateway (`serve --upstream`) is measured
alone; the sandbox's growth is printed beside it. `inprocess`: `serve
--sandbox`, one process holding the gateway's copies and the sandbox's
(about 2.3x the file for an upload: its request body and the decoded file).
`both` (the default) runs one after the other.

Prints VmHWM (the peak resident set) growth of each step against the file's
size. VmHWM only grows, so the download's figure is what it adds above the
upload's peak.
"""
import base64, http.client, re, subprocess, sys, time

binary, mib = sys.argv[1], int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else "both"
assert mode in ("separate", "inprocess", "both"), f"unknown mode {mode}"

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


def call(port, op, params):
    body = "".join(f"<{k}>{v}</{k}>" for k, v in params)
    env = ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
           f'<soap:Body><{op} xmlns="https://os.ecgrid.io/">{body}</{op}></soap:Body></soap:Envelope>')
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    c.request("POST", "/v4.1/prod/ECGridOS.asmx", env.encode(),
              {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"https://os.ecgrid.io/{op}"'})
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
