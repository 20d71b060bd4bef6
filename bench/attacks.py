#!/usr/bin/env python3
"""Issue 16's attacks re-run on loopback against a running gateway
(docs/SECURITY.md, "Measured"). Usage:

    python3 bench/attacks.py HOST:PORT GATEWAY_PID {cpu|memory|bodies|sessions}

cpu:      the 90k-attribute and 20k-declaration bodies (and 167k empty
          header elements), best of 3, each must be answered with a fault.
memory:   1,000 connections holding 8 KiB of an unfinished request head and
          300 holding 900,000 bytes of a 1,000,000-byte body, all at once;
          the gateway's peak RSS, and when the server closed them.
bodies:   300 connections sending 900,000 bytes of a 1,000,000-byte body,
          then silence, while a Login is timed every second; the
          gateway's peak RSS, the answers and when they came.
sessions: 5,000 Logins (demo account of --sandbox), then WhoAmI with the
          first 200 and the newest 1,000 SessionIDs.
Every loop is bounded in count and time; only loopback is used.
"""
import asyncio, socket, sys, time

V11 = "http://schemas.xmlsoap.org/soap/envelope/"
PATH = "/v4.1/prod/ECGridOS.asmx"


def env(header, body, decls=""):
    return (f'<s:Envelope xmlns:s="{V11}"{decls}><s:Header>{header}</s:Header>'
            f'<s:Body>{body}</s:Body></s:Envelope>')


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def post(addr, body, timeout=30):
    host, port = addr.split(":")
    s = socket.create_connection((host, int(port)), timeout=timeout)
    data = body.encode()
    head = (f"POST {PATH} HTTP/1.1\r\nHost: gw\r\nContent-Type: text/xml; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode()
    started = time.perf_counter()
    s.sendall(head + data)
    answer = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        answer += chunk
    elapsed = time.perf_counter() - started
    s.close()
    return elapsed, answer.decode("utf-8", "replace")


def cpu(addr):
    shapes = {
        "90k attributes on one element": env("", "<Version" + "".join(f' a{i}="x"' for i in range(90_000)) + "/>"),
        "20k namespace declarations on the Envelope": env("", "<Version/>", "".join(f' xmlns:p{i}="urn:{i}"' for i in range(20_000))),
        "167k empty header elements": env('<h:x xmlns:h="urn:h"/>' * 167_000, "<Version/>"),
    }
    for name, body in shapes.items():
        times = []
        for _ in range(3):
            t, answer = post(addr, body)
            times.append(t)
        status = answer.split("\r\n", 1)[0]
        fault = answer.split("<faultstring>")[1].split("</faultstring>")[0] if "<faultstring>" in answer else answer[:200]
        print(f"{name}: {len(body)} bytes, best {min(times)*1000:.1f} ms, worst {max(times)*1000:.1f} ms, {status}: {fault}")


async def hold(addr, payload, results, key):
    host, port = addr.split(":")
    try:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(payload)
        await writer.drain()
        opened = time.monotonic()
        data = await asyncio.wait_for(reader.read(65536), timeout=180)
        results.append((key, time.monotonic() - opened, data.split(b"\r\n", 1)[0].decode("latin-1")))
        writer.close()
    except Exception as e:  # refused or reset: recorded as such
        results.append((key, -1.0, type(e).__name__))


async def memory(addr, pid):
    base = rss_kib(pid)
    results = []
    head = b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: gw\r\nX-Pad: " + b"a" * 8000
    body_head = (f"POST {PATH} HTTP/1.1\r\nHost: gw\r\nContent-Type: text/xml\r\n"
                 f"Content-Length: 1000000\r\n\r\n").encode()
    tasks = [asyncio.create_task(hold(addr, head, results, "head")) for _ in range(1000)]
    tasks += [asyncio.create_task(hold(addr, body_head + b" " * 900_000, results, "body")) for _ in range(300)]
    peak = base
    started = time.monotonic()
    while not all(t.done() for t in tasks) and time.monotonic() - started < 200:
        await asyncio.sleep(0.5)
        peak = max(peak, rss_kib(pid))
    await asyncio.gather(*tasks)
    print(f"gateway RSS before {base/1024:.1f} MiB, peak {peak/1024:.1f} MiB (+{(peak-base)/1024:.1f} MiB)")
    for kind in ("head", "body"):
        rows = [r for r in results if r[0] == kind]
        closed = sorted(r[1] for r in rows if r[1] >= 0)
        answers = {}
        for r in rows:
            answers[r[2]] = answers.get(r[2], 0) + 1
        if closed:
            print(f"{kind}: {len(rows)} connections, closed by the server after {closed[0]:.1f}-{closed[-1]:.1f} s; answers {answers}")
        else:
            print(f"{kind}: {len(rows)} connections, answers {answers}")


async def bodies(addr, pid):
    base = rss_kib(pid)
    results = []
    body_head = (f"POST {PATH} HTTP/1.1\r\nHost: gw\r\nContent-Type: text/xml\r\n"
                 f"Content-Length: 1000000\r\n\r\n").encode()
    tasks = [asyncio.create_task(hold(addr, body_head + b" " * 900_000, results, "body")) for _ in range(300)]
    login = soap("Login", [("LoginName", "demo"), ("Password", "Demo#2026")])
    peak = base
    logins = []
    started = time.monotonic()
    while not all(t.done() for t in tasks) and time.monotonic() - started < 200:
        t0 = time.monotonic()
        try:
            _, answer = await asyncio.to_thread(post, addr, login, 10)
            ok = "<LoginResult>" in answer
        except Exception:
            ok = False
        logins.append((ok, time.monotonic() - t0))
        peak = max(peak, rss_kib(pid))
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    await asyncio.gather(*tasks)
    print(f"gateway RSS before {base/1024:.1f} MiB, peak {peak/1024:.1f} MiB (+{(peak-base)/1024:.1f} MiB)")
    rows = results
    closed = sorted(r[1] for r in rows if r[1] >= 0)
    answers = {}
    for r in rows:
        answers[r[2]] = answers.get(r[2], 0) + 1
    print(f"body: {len(rows)} connections, answered after {closed[0]:.1f}-{closed[-1]:.1f} s; answers {answers}")
    worked = [t for ok, t in logins if ok]
    print(f"Logins during the attack: {len(worked)}/{len(logins)} worked, slowest {max(worked, default=0)*1000:.0f} ms")


def soap(op, params):
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in params)
    return f'<s:Envelope xmlns:s="{V11}"><s:Body><{op} xmlns="https://os.ecgrid.io/">{inner}</{op}></s:Body></s:Envelope>'


def sessions(addr):
    sids = []
    started = time.monotonic()
    for i in range(5000):
        _, answer = post(addr, soap("Login", [("LoginName", "demo"), ("Password", "Demo#2026")]))
        sids.append(answer.split("<LoginResult>")[1].split("</LoginResult>")[0])
        if i < 200 and i % 1 == 0:
            # the attacker reads its sessions a few times each
            for _ in range(2):
                post(addr, soap("WhoAmI", [("SessionID", sids[-1])]))
    def works(sid):
        _, answer = post(addr, soap("WhoAmI", [("SessionID", sid)]))
        return answer.startswith("HTTP/1.1 200")
    first = sum(works(s) for s in sids[:200])
    newest = sum(works(s) for s in sids[-1000:])
    print(f"5000 Logins in {time.monotonic()-started:.0f} s; WhoAmI works for {first}/200 of the first, {newest}/1000 of the newest")


if __name__ == "__main__":
    addr, pid, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if what == "cpu":
        cpu(addr)
    elif what == "memory":
        asyncio.run(memory(addr, pid))
    elif what == "bodies":
        asyncio.run(bodies(addr, pid))
    elif what == "sessions":
        sessions(addr)
