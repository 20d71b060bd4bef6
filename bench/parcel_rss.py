#!/usr/bin/env python3
"""Peak RSS growth of the gateway (with its embedded sandbox) for one large
ParcelUpload and one large ParcelDownload, through SOAP on loopback.

    python3 bench/parcel_rss.py target/release/ecgrid-gateway 50

Prints VmHWM (the process's peak resident set) before, after the upload and
after the download, and the growth of each step against the file's size.
The sandbox keeps the file in the same process, so the figures include its
copy (about 1x the file) as well as the gateway's.
"""
import base64, http.client, re, subprocess, sys, time

binary, mib = sys.argv[1], int(sys.argv[2])
proc = subprocess.Popen([binary, "serve", "--sandbox", "--listen", "127.0.0.1:0", "--workers", "1"],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
try:
    port = None
    for _ in range(50):
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", proc.stdout.readline())
        if found:
            port = int(found.group(1))
            break
    assert port, "no start line"

    def hwm():
        with open(f"/proc/{proc.pid}/status") as f:
            return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) // 1024

    def call(op, params):
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

    demo = text(call("Login", [("LoginName", "demo"), ("Password", "Demo#2026")]), "LoginResult")
    partner = text(call("Login", [("LoginName", "partner"), ("Password", "Partner#2026")]), "LoginResult")
    isa = ("ISA*00*          *00*          *ZZ*ECGRIDDEMO     *ZZ*ECGRIDPARTNER  *260507*1030*U*00401*000000001*0*T*>~"
           "GS*PO*ECGRIDDEMO*ECGRIDPARTNER*20260507*1030*1*X*004010~ST*850*0001~")
    edi = (isa + "PO1*1*10*EA*9.99**VP*WIDGET~" * (mib * 1024 * 1024 // 28)).encode()
    content = base64.b64encode(edi).decode()
    size = len(edi) / 1048576
    base = hwm()
    t = time.time()
    call("ParcelUpload", [("SessionID", demo), ("FileName", "big.edi"), ("Bytes", len(edi)), ("Content", content)])
    up_s = time.time() - t
    after_up = hwm()
    inbox = call("ParcelInBox", [("SessionID", partner)])
    pid = re.findall(r"<ParcelID>(\d+)</ParcelID></ParcelIDInfo>", inbox)[0]
    t = time.time()
    got = call("ParcelDownload", [("SessionID", partner), ("ParcelID", pid)])
    down_s = time.time() - t
    after_down = hwm()
    assert base64.b64decode(text(got, "Content")) == edi
    print(f"file {size:.1f} MiB ({len(content)/1048576:.1f} MiB base64); VmHWM at start {base} MiB")
    print(f"upload:   peak +{after_up - base} MiB = {(after_up - base) / size:.2f}x the file, {up_s:.2f} s")
    print(f"download: peak +{after_down - after_up} MiB more = {(after_down - after_up) / size:.2f}x the file, {down_s:.2f} s (bytes identical)")
finally:
    proc.terminate()
    proc.wait(timeout=30)
