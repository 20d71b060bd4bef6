#!/usr/bin/env python3
"""MB/s of parcel uploads and downloads: the gateway beside the same REST
call direct to the sandbox and through nginx, in one run (issue 14).

    python3 bench/parcel_throughput.py [BINARY] [--sizes 1,10,50] [--rounds N]

BINARY defaults to target/release/ecgrid-gateway. Starts the REST sandbox
(`BINARY sandbox`), nginx in front of it (bench/nginx.conf, filled in as
bench/load.sh does, run from its binary with a temporary prefix, plus
`client_max_body_size` for the files) and the gateway (`BINARY serve
--upstream` the sandbox), then for each size and round, one after the other
(direct, nginx, gateway, so a drifting machine hits all three):

  upload   REST  POST /v2/parcels/upload {fileName, content, bytes} (X-API-Key demo-api-key)
           SOAP  ParcelUpload(SessionID = demo-api-key, FileName, Bytes, Content)
  download REST  POST /v2/parcels/download {parcelId} (X-API-Key partner-api-key)
           SOAP  ParcelDownload(SessionID = partner-api-key, ParcelID)

An X12 850 from ECGRIDDEMO to ECGRIDPARTNER of the size, base64 (1.33x on the
wire). Each call is timed from the first byte sent to the last byte of the
answer read, on a kept-alive connection; bodies are built before the clock
starts. Each path's first download is checked byte for byte (outside the
clock). Reports MiB of file per second (median of the rounds) and the ratios
gateway/nginx and gateway/direct, to stdout and
bench/results/parcel_throughput-<UTC time>.txt.

Everything listens on 127.0.0.1; every wait is bounded; every process
started is stopped on exit.
"""
import argparse, base64, datetime, hashlib, http.client, json, os, re, shutil
import socket, statistics, subprocess, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("binary", nargs="?", default=os.path.join(ROOT, "target/release/ecgrid-gateway"))
parser.add_argument("--sizes", default="1,10,50", help="file sizes in MiB, comma-separated")
parser.add_argument("--rounds", type=int, default=5, help="timed calls per size and path (1-50)")
args = parser.parse_args()
sizes = [int(s) for s in args.sizes.split(",")]
assert all(0 < s <= 64 for s in sizes), "sizes must be 1..64 MiB (the gateway's default upload limit)"
assert 1 <= args.rounds <= 50, "--rounds must be 1..50"
nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
assert os.access(nginx_bin, os.X_OK), "nginx not found (apt-get install nginx-light)"
assert os.access(args.binary, os.X_OK), f"{args.binary} is not built (cargo build --release)"

work = tempfile.mkdtemp(prefix="ecgrid-parcel-bench.")
procs = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(name, argv, env=None):
    log = open(os.path.join(work, f"{name}.log"), "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    procs.append(proc)
    return proc


def wait_port(name, proc, port):
    for _ in range(100):
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited during startup: " + open(os.path.join(work, f"{name}.log")).read()[-2000:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not listen on {port} within 10 s")


def stop_all():
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    shutil.rmtree(work, ignore_errors=True)


def edi_of(mib):
    isa = ("ISA*00*          *00*          *ZZ*ECGRIDDEMO     *ZZ*ECGRIDPARTNER  *260507*1030*U*00401*000000001*0*T*>~"
           "GS*PO*ECGRIDDEMO*ECGRIDPARTNER*20260507*1030*1*X*004010~ST*850*0001~")
    return (isa + "PO1*1*10*EA*9.99**VP*WIDGET~" * (mib * 1024 * 1024 // 28)).encode()


class Path:
    """One way to the sandbox: REST direct, REST through nginx, or SOAP."""

    def __init__(self, name, port, soap):
        self.name, self.port, self.soap = name, port, soap
        self.conn = None

    def exchange(self, path, body, headers):
        """(status, answer bytes, seconds) of one call on a kept-alive connection."""
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                self.conn.connect()
                self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                started = time.perf_counter()
                self.conn.request("POST", path, body, headers)
                answer = self.conn.getresponse()
                data = answer.read()
                return answer.status, data, time.perf_counter() - started
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def soap_body(self, op, params):
        inner = "".join(f"<{k}>{v}</{k}>" for k, v in params)
        return ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
                f'<soap:Body><{op} xmlns="https://os.ecgrid.io/">{inner}</{op}></soap:Body></soap:Envelope>').encode()

    def soap_headers(self, op):
        return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"https://os.ecgrid.io/{op}"'}

    def upload(self, edi, b64):
        """Uploads; (parcel id, seconds)."""
        if self.soap:
            body = self.soap_body("ParcelUpload", [("SessionID", "demo-api-key"), ("FileName", "bench.edi"),
                                                   ("Bytes", len(edi)), ("Content", b64)])
            status, data, seconds = self.exchange("/v4.1/prod/ECGridOS.asmx", body, self.soap_headers("ParcelUpload"))
            assert status == 200, data[:300]
            return int(re.search(rb"<ParcelUploadResult>(\d+)<", data).group(1)), seconds
        body = json.dumps({"fileName": "bench.edi", "content": b64, "bytes": len(edi)}).encode()
        status, data, seconds = self.exchange("/v2/parcels/upload", body,
                                              {"Content-Type": "application/json", "X-API-Key": "demo-api-key"})
        assert status == 200, data[:300]
        got = json.loads(data)["data"]
        return (got if isinstance(got, int) else got.get("parcelId", got.get("id"))), seconds

    def download(self, parcel_id):
        """Downloads; (the file's bytes, read outside the clock; seconds)."""
        if self.soap:
            body = self.soap_body("ParcelDownload", [("SessionID", "partner-api-key"), ("ParcelID", parcel_id)])
            status, data, seconds = self.exchange("/v4.1/prod/ECGridOS.asmx", body, self.soap_headers("ParcelDownload"))
            assert status == 200, data[:300]
            return (lambda: base64.b64decode(re.search(rb"<Content>([^<]*)</Content>", data).group(1))), seconds
        body = json.dumps({"parcelId": parcel_id}).encode()
        status, data, seconds = self.exchange("/v2/parcels/download", body,
                                              {"Content-Type": "application/json", "X-API-Key": "partner-api-key"})
        assert status == 200, data[:300]
        return (lambda: base64.b64decode(json.loads(data)["data"]["content"])), seconds


def inbound_id():
    """The partner's newest inbound parcel (an upload answers its outbound
    id; the partner downloads the inbound one), listed outside the clock."""
    c = http.client.HTTPConnection("127.0.0.1", sandbox_port, timeout=60)
    c.request("POST", "/v2/parcels/pending-inbox-list", b"{}",
              {"Content-Type": "application/json", "X-API-Key": "partner-api-key"})
    r = c.getresponse()
    data = json.loads(r.read())["data"]
    parcels = data["parcels"] if isinstance(data, dict) else data
    assert parcels, "the partner's inbox is empty after an upload"
    return max(p.get("parcelId", p.get("id")) for p in parcels)


try:
    sandbox_port, nginx_port, gateway_port = free_port(), free_port(), free_port()
    env = dict(os.environ, RUST_LOG=os.environ.get("BENCH_RUST_LOG", "warn"))
    sandbox = spawn("sandbox", [args.binary, "sandbox", "--listen", f"127.0.0.1:{sandbox_port}"], env)
    wait_port("sandbox", sandbox, sandbox_port)

    prefix = os.path.join(work, "nginx")
    os.makedirs(prefix)
    conf = open(os.path.join(ROOT, "bench/nginx.conf")).read()
    conf = (conf.replace("@USER_LINE@", "user root root;" if os.getuid() == 0 else "")
                .replace("@PREFIX@", prefix).replace("@LISTEN@", f"127.0.0.1:{nginx_port}")
                .replace("@UPSTREAM@", f"127.0.0.1:{sandbox_port}")
                # The one change from load.sh's proxy: bodies of the sizes measured.
                .replace("keepalive_requests 1000000;", "keepalive_requests 1000000;\n        client_max_body_size 256m;"))
    with open(os.path.join(prefix, "nginx.conf"), "w") as f:
        f.write(conf)
    nginx = spawn("nginx", [nginx_bin, "-p", prefix, "-c", os.path.join(prefix, "nginx.conf"), "-g", "daemon off;"])
    wait_port("nginx", nginx, nginx_port)

    gateway = spawn("gateway", [args.binary, "serve", "--upstream", f"http://127.0.0.1:{sandbox_port}",
                                "--listen", f"127.0.0.1:{gateway_port}"], env)
    wait_port("gateway", gateway, gateway_port)

    paths = [Path("direct", sandbox_port, False), Path("nginx", nginx_port, False), Path("gateway", gateway_port, True)]
    results = {}  # (size, step, path) -> [MiB/s]
    for mib in sizes:
        edi = edi_of(mib)
        b64 = base64.b64encode(edi).decode()
        file_mib = len(edi) / 1048576
        digest = hashlib.sha256(edi).hexdigest()
        for path in paths:  # warm-up and byte check, untimed
            path.upload(edi, b64)
            content, _ = path.download(inbound_id())
            assert hashlib.sha256(content()).hexdigest() == digest, f"{path.name}: download differs"
        for _ in range(args.rounds):
            for path in paths:
                _, seconds = path.upload(edi, b64)
                results.setdefault((mib, "upload", path.name), []).append(file_mib / seconds)
                # The parcel just uploaded (the store keeps the newest:
                # --max-parcel-bytes archives the oldest first).
                _, seconds = path.download(inbound_id())
                results.setdefault((mib, "download", path.name), []).append(file_mib / seconds)

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    build = "release" if "/release/" in args.binary else "debug" if "/debug/" in args.binary else args.binary
    lines = [f"# parcel throughput, {stamp}: python3 bench/parcel_throughput.py {args.binary} --sizes {args.sizes} --rounds {args.rounds}",
             f"# {build} build; {os.cpu_count()} CPUs shared with the client (python3 http.client, one kept-alive connection per path)",
             "# MiB of file per second, median of the rounds (min..max); the wire carries 1.33x that in base64",
             "",
             f"{'size':>5} {'step':<9} {'direct':>16} {'nginx':>16} {'gateway':>16} {'gw/nginx':>9} {'gw/direct':>9}"]
    for mib in sizes:
        for step in ("upload", "download"):
            cells, medians = [], {}
            for name in ("direct", "nginx", "gateway"):
                v = results[(mib, step, name)]
                medians[name] = statistics.median(v)
                cells.append(f"{medians[name]:7.1f} ({min(v):.0f}..{max(v):.0f})")
            lines.append(f"{mib:>3}Mi {step:<9} {cells[0]:>16} {cells[1]:>16} {cells[2]:>16} "
                         f"{medians['gateway'] / medians['nginx']:>9.2f} {medians['gateway'] / medians['direct']:>9.2f}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    out = os.path.join(ROOT, f"bench/results/parcel_throughput-{stamp}.txt")
    with open(out, "w") as f:
        f.write(text)
    print(f"written to {os.path.relpath(out, ROOT)}")
finally:
    stop_all()
