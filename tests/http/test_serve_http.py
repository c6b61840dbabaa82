"""HTTP-level tests of `portscope serve` against the real server on 127.0.0.1 (a free port).

Covers status codes, content types, ETag and caching headers, JSON errors, the API objects
(the same as the CLI's), HTML escaping of hostile registry and knowledge text, request limits,
slow clients, feedback with its rate limit, the access log and graceful shutdown."""
import http.client
import json
import re
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("PORTSCOPE_SRC", os.path.join(os.path.dirname(__file__), "..", "..")),
                                "tests", "integration"))
import pstest  # noqa: E402
from pstest import check, finish, skip  # noqa: E402

SERVE = pstest.SERVE
CSV = pstest.iana_csv()
TMP = tempfile.mkdtemp(prefix="portscope-serve-test-")

if not os.path.exists(SERVE):
    skip(f"{SERVE} is not built")
if not CSV:
    skip("the IANA CSV is not available (PORTSCOPE_TEST_IANA_DIR unset)")

HOSTILE = '<script>alert("x")</script>'

# A knowledge file with hostile text in every field that reaches a page.
KNOWLEDGE = os.path.join(TMP, "knowledge.txt")
with open(KNOWLEDGE, "w") as f:
    f.write(f"""entry: evil{HOSTILE}
name: Evil {HOSTILE} & co
kind: malware
ports: 3025/tcp
summary: Summary with {HOSTILE} & "quotes" 'single' <img src=x onerror=alert(1)>
process: {HOSTILE} normal-proc
source: https://example.invalid/"><script>alert(2)</script>

entry: dev-server
name: Harmless dev server
kind: development
ports: 625/tcp
summary: A harmless development server used by the tests.
source: tests/http

service: ssh
servers: sshd <b>bold</b>
source: javascript:alert(3)
""")

# A registry with hostile text in its columns.
HOSTILE_CSV = os.path.join(TMP, "hostile.csv")
with open(HOSTILE_CSV, "w") as f:
    f.write("Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,Registration Date,"
            "Modification Date,Reference,Service Code,Unauthorized Use Reported,Assignment Notes\n")
    f.write(f'evil-svc,4444,tcp,"{HOSTILE.replace(chr(34), chr(34) * 2)}",[<b>x</b>],,2020-01-01,,'
            f'"[RFC<script>]",,,"notes <iframe src=x>"\n')
    f.write("ssh,22,tcp,The Secure Shell (SSH) Protocol,,,,,[RFC4251],,,\n")


class Server:
    def __init__(self, *args, registry=CSV, knowledge=KNOWLEDGE, db=None, env=None):
        self.log = os.path.join(TMP, f"access-{time.monotonic_ns()}.log")
        self.db = db or os.path.join(TMP, f"fb-{time.monotonic_ns()}.db")
        cmd = ["--listen", "127.0.0.1:0", "--registry", registry, "--db", self.db,
               "--access-log", self.log, "--threads", "2"]
        if knowledge:
            cmd += ["--knowledge", knowledge]
        cmd += list(args)
        e = dict(pstest.ENV)
        if env:
            e.update(env)
        self.p, self.url = pstest.start_serve(cmd, e)
        self.port = int(self.url.rsplit(":", 1)[1])

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path, method="GET", headers=None, body=None):
        c = self.conn()
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def raw(self, data, timeout=5):
        """Sends raw bytes, returns what comes back until the server closes or timeout."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(data)
            out = b""
            while True:
                try:
                    ch = s.recv(65536)
                except (ConnectionResetError, socket.timeout):
                    break
                if not ch:
                    break
                out += ch
                if b"\r\n\r\n" in out and out.startswith(b"HTTP/1.1 4"):
                    # An error reply; the server may keep the connection: enough.
                    head, _, rest = out.partition(b"\r\n\r\n")
                    cl = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")]
                    if cl and len(rest) >= int(cl[0].split(b":")[1]):
                        break
            return out
        finally:
            s.close()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode


def status_line(raw):
    return raw.split(b"\r\n", 1)[0].decode("latin-1")


def cli_json(*args):
    """The CLI's JSON, when the portscope binary is built."""
    if not os.path.exists(pstest.BIN):
        return None
    rc, out, err = pstest.run(*args)
    if rc != 0:
        print(f"note: portscope {' '.join(args)} exited {rc}: {err.strip()}")
        return None
    return json.loads(out)


def empty_to_null(v):
    """The API's spelling of the CLI's JSON: an absent value is null, never ""."""
    if isinstance(v, dict):
        return {k: empty_to_null(x) for k, x in v.items()}
    if isinstance(v, list):
        return [empty_to_null(x) for x in v]
    return None if v == "" else v


def test_basics(s):
    st, h, body = s.get("/healthz")
    check(st == 200 and body == b"ok\n", f"/healthz 200 ok ({st} {body!r})")
    check(h.get("cache-control") == "no-store", "/healthz is not cached")

    st, h, body = s.get("/api/v1/ports/625")
    check(st == 200, f"/api/v1/ports/625 200 ({st})")
    check(h.get("content-type") == "application/json", f"API content type ({h.get('content-type')})")
    check("etag" in h and "max-age" in h.get("cache-control", ""), "API carries ETag and Cache-Control")
    obj = json.loads(body)
    check(obj.get("port") == 625 and "protocols" in obj and "registry" in obj, "port object has port, protocols, registry")
    cli = cli_json("info", "--json-object", "--registry", CSV, "--knowledge", KNOWLEDGE, "625")
    if cli is not None:
        # The same object, but the server names its registry by file name, the CLI by path.
        reg = obj.pop("registry")
        cli_reg = cli.pop("registry")
        check(obj == cli, "/api/v1/ports/625 is the same object as `portscope info --json 625`, nulls included")
        check(cli == empty_to_null(cli), "the CLI's port object has no \"\": an absent value is null")
        rows = [r for p in obj["protocols"].values() for r in p["services"] + p["records"]]
        check(rows and all(isinstance(r["port"], int) for r in rows) and isinstance(obj["port"], int),
              "port is a number at the top and in the rows")
        # No snapshot in this test's data directory: neither has "history" (test_serve_history has them).
        check("history" not in obj and "history" not in cli, "no snapshots kept: no \"history\" in either")
        check(reg["source"] == os.path.basename(cli_reg["source"]) and reg["date"] == cli_reg["date"]
              and reg["kind"] == cli_reg["kind"], f"the API names the registry by file name and date ({reg})")
    # Conditional requests
    st2, h2, body2 = s.get("/api/v1/ports/625", headers={"If-None-Match": h["etag"]})
    check(st2 == 304 and body2 == b"", f"If-None-Match gives 304 with no body ({st2})")
    check(h2.get("etag") == h["etag"], "304 repeats the ETag")
    check(all(h2.get(k) == h.get(k) for k in ("vary", "cache-control", "last-modified", "access-control-allow-origin"))
          and h.get("vary"), f"304 carries the 200's Vary, Cache-Control, Last-Modified and CORS ({h2})")
    st4, h4, _ = s.get("/search?q=zzzz-uncached-304", headers={"If-None-Match": "*"})
    check(st4 == 304 and h4.get("vary") == "Accept-Encoding, Accept-Language",
          f"a 304 for a page rendered on the spot says what it varies on ({st4} {h4.get('vary')})")
    st3, _, _ = s.get("/api/v1/ports/625", headers={"If-None-Match": '"0000000000000000"'})
    check(st3 == 200, "a stale ETag gets the full object")
    st, h, body = s.get("/ports/625", headers={"If-None-Match": "*"})
    check(st == 304, "If-None-Match: * gives 304")

    for port in (0, 22, 250, 3025, 65535):
        st, h, body = s.get(f"/api/v1/ports/{port}")
        check(st == 200 and json.loads(body)["port"] == port, f"/api/v1/ports/{port}")

    # JSON errors
    for path, want in (("/api/v1/ports/65536", 404), ("/api/v1/ports/99999", 404), ("/api/v1/ports/a%zz", 400),
                       ("/api/v1/ports/", 400), ("/api/v1/ports/-1", 400), ("/api/v1/ports/no-such-service-xyz", 404),
                       ("/api/v1/ports/22/xyz", 400), ("/api/v1/ports/22/", 400), ("/api/v1/ports/25-22", 400),
                       ("/api/v1/ports/1-5000", 400), ("/api/v1/ports/22-70000", 404),
                       ("/api/v1/services/no-such-service-xyz", 404), ("/api/v1/services/%3Cb%3E", 400),
                       ("/api/v1/list?status=maybe", 400), ("/api/v1/list?range=huge", 400),
                       ("/api/v1/list?proto=icmp", 400), ("/api/v1/list?limit=0", 400), ("/api/v1/list?limit=1001", 400),
                       ("/api/v1/list?offset=-1", 400), ("/api/v1/ranges/x", 404),
                       ("/api/v1/nope", 404), ("/api/v2/ports/1", 404),
                       ("/api/v1/search", 400), ("/api/v1/search?q=", 400), ("/api/v1/search?q=%zz", 400),
                       ("/api/v1/listeners", 404)):
        st, h, body = s.get(path)
        ok = st == want and h.get("content-type") == "application/json"
        try:
            err = json.loads(body)["error"]
            ok = ok and err["status"] == want and isinstance(err["message"], str) and err["message"]
        except (ValueError, KeyError, TypeError):
            ok = False
        check(ok, f"{path} answers {want} with a JSON error ({st} {body[:120]!r})")

    st, h, body = s.get("/api/v1/search?q=ssh")
    check(st == 200 and h.get("content-type") == "application/json", "/api/v1/search?q=ssh 200 JSON")
    obj = json.loads(body)
    check(obj.get("query") == "ssh" and obj.get("results"), "search has results")
    cli = cli_json("search", "--json", "--limit", "100", "--registry", CSV, "--knowledge", KNOWLEDGE, "ssh")
    if cli is not None:
        obj.pop("registry")
        cli.pop("registry")
        check(obj == empty_to_null(cli), "/api/v1/search is the same object as `portscope search --json --limit 100`")
    # Pages: ?limit and ?offset as the CLI's --limit and --offset.
    st, h, body = s.get("/api/v1/search?q=http&limit=3&offset=2")
    obj = json.loads(body) if st == 200 else {}
    cli = cli_json("search", "--json", "--limit", "3", "--offset", "2", "--registry", CSV, "--knowledge", KNOWLEDGE, "http")
    check(st == 200 and obj.get("limit") == 3 and obj.get("offset") == 2 and len(obj.get("results", [])) == 3,
          f"/api/v1/search?limit=3&offset=2 pages ({st} {obj.get('limit')} {obj.get('offset')})")
    if cli is not None and obj:
        obj.pop("registry")
        cli.pop("registry")
        check(obj == empty_to_null(cli), "the page is the CLI's --limit 3 --offset 2")
    for bad in ("limit=0", "limit=1001", "limit=x", "offset=-1"):
        st, _, body = s.get(f"/api/v1/search?q=http&{bad}")
        check(st == 400 and b"error" in body, f"/api/v1/search?{bad} is 400 ({st})")

    st, h, body = s.get("/metrics")
    check(st == 200 and h.get("content-type", "").startswith("text/plain; version=0.0.4"), "/metrics content type")
    text = body.decode()
    check("portscope_http_requests_total{route=\"api_port\",code=\"200\"}" in text, "metrics count API requests")
    check("portscope_http_request_duration_seconds_bucket{le=\"+Inf\"}" in text, "metrics have a latency histogram")

    def metric(text, name):
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    # Every connection may go to another worker thread: the counters are summed over them. The
    # previous request's worker may not have ended it yet when this one is counted (seen under
    # ASan with the suite running beside it): read again until it has, for a second at most.
    for _ in range(20):
        if metric(text, "portscope_http_in_flight_requests") == 1:
            break
        time.sleep(0.05)
        body = s.get("/metrics")[2]  # this one's bytes are the ones counted next
        text = body.decode()
    first = metric(text, "portscope_http_response_bytes_total")
    check(metric(text, "portscope_http_in_flight_requests") == 1, "metrics: the /metrics request is the one in flight")
    _, _, hz = s.get("/healthz")
    _, _, pg = s.get("/ports/22")
    _, _, m2 = s.get("/metrics")
    second = metric(m2.decode(), "portscope_http_response_bytes_total")
    check(first is not None and second == first + len(body) + len(hz) + len(pg),
          f"metrics count the body bytes sent ({first} + {len(body)} + {len(hz)} + {len(pg)} = {second}?)")
    held = []
    for _ in range(3):  # keep-alive connections, on whichever threads the kernel gives them
        cn = s.conn()
        cn.request("GET", "/healthz")
        cn.getresponse().read()
        held.append(cn)
    _, _, m3 = s.get("/metrics")
    conns = metric(m3.decode(), "portscope_http_connections")
    check(conns is not None and conns >= 4, f"metrics count the open connections of every thread ({conns})")
    for cn in held:
        cn.close()

    # A cached page is sent by each worker thread from a response of its own (its own copy of
    # the headers): every copy says the same, whichever thread the connection lands on (24 fresh
    # connections reach both of the 2 threads all but surely), plain and gzipped.
    for enc in (b"", b"Accept-Encoding: gzip\r\n"):
        seen = set()
        for _ in range(24):
            out = s.raw(b"GET /ports/23 HTTP/1.1\r\nHost: x\r\n" + enc + b"Connection: close\r\n\r\n")
            head, _, body = out.partition(b"\r\n\r\n")
            lines = [ln for ln in head.decode("latin-1").split("\r\n") if not ln.lower().startswith("date:")]
            seen.add((tuple(lines), body))
        names = [ln.split(":", 1)[0].lower() for ln in next(iter(seen))[0][1:]]
        want = ["connection", "content-type", "x-content-type-options", "referrer-policy",
                "content-security-policy", "x-frame-options", "content-language", "cache-control", "etag", "vary", "content-length"]
        if enc:
            want.insert(want.index("vary"), "content-encoding")
        check(len(seen) == 1 and sorted(names) == sorted(want),
              f"/ports/23 {'gzipped ' if enc else ''}is the same from every thread, with every header "
              f"({len(seen)} different; {names})")
    pages = ["/", "/ports/625", "/ports/250", "/ports/0", "/ports/65535", "/services/ssh", "/ranges", "/map",
             "/stats", "/search?q=ssh", "/search", "/search?q=kerberos+v5"]
    for p in pages:
        st, h, body = s.get(p)
        check(st == 200 and h.get("content-type") == "text/html; charset=utf-8", f"{p} 200 HTML ({st})")
        check("content-security-policy" in h and h.get("x-content-type-options") == "nosniff",
              f"{p} has CSP and nosniff")
        check("set-cookie" not in h, f"{p} sets no cookie")
        html = body.decode()
        check(html.startswith("<!doctype html>") and '<html lang="en" dir="ltr">' in html and "<main" in html
              and "<h1>" in html, f"{p} is a document with lang, main landmark and a heading")
        check("src=\"http" not in html and "href=\"http" not in html.replace('rel="noopener noreferrer nofollow" href="http', ""),
              f"{p} loads nothing from elsewhere")
    st, h, body = s.get("/map.png")
    check(st == 200 and h.get("content-type") == "image/png" and body.startswith(b"\x89PNG"), "/map.png is a PNG")
    st, h, _ = s.get("/search?q=625")
    check(st == 303 and h.get("location") == "/ports/625", "searching a port number goes to its page")
    st, h, _ = s.get("/map/click")
    check(st == 303 and h.get("location") == "/map#goto", f"Enter on the map without a pointer goes to the form ({st})")
    st, h, body = s.get("/map?proto=udp")
    check(st == 200 and 'src="/map.png?proto=udp"' in body.decode() and 'aria-current="page">UDP' in body.decode(),
          "/map?proto=udp shows the udp map, the toggle marks UDP")
    check("connect-src 'self'" in h.get("content-security-policy", ""), "the map may ask the API for names (CSP)")
    tcp_png, udp_png = s.get("/map.png")[2], s.get("/map.png?proto=udp")[2]
    check(tcp_png != udp_png, "tcp and udp maps differ")
    st, h, _ = s.get("/map/click?100,3")
    check(st == 303 and h.get("location") == f"/ports/{1 * 256 + 50}", "a click on the map opens the port under it")

    for p in ("/nope", "/ports/65536", "/ports/625//", "/services/no-such-service-xyz", "/index.html",
              "/static/style.css", "/favicon.ico"):
        st, h, body = s.get(p)
        check(st == 404 and h.get("content-type") == "text/html; charset=utf-8", f"{p} 404 ({st})")
    # Another spelling of a port's page has moved to it, in the same language.
    for p, to in (("/ports/0625", "/ports/625"), ("/ports/625/", "/ports/625"), ("/ports/%36%32%35", "/ports/625"),
                  ("/fr/ports/022", "/fr/ports/22")):
        st, h, body = s.get(p)
        check(st == 301 and h.get("location") == to, f"{p} moved to {to} ({st} {h.get('location')})")

    # HEAD: headers only, same length
    st, h, body = s.get("/ports/625", method="HEAD")
    st2, h2, body2 = s.get("/ports/625")
    check(st == 200 and body == b"" and h.get("content-length") == str(len(body2)), "HEAD: headers, no body")
    check(h.get("etag") == h2.get("etag"), "HEAD and GET share the ETag")

    for method, path in (("DELETE", "/"), ("PUT", "/ports/1"), ("POST", "/ports/1"), ("PATCH", "/api/v1/ports/1"),
                         ("OPTIONS", "/")):
        st, h, body = s.get(path, method=method, body=b"" if method in ("POST", "PUT", "PATCH") else None)
        check(st == 405 and "GET" in h.get("allow", ""), f"{method} {path} is 405 with Allow ({st})")
    st, h, body = s.get("/api/v1/ports/1", method="DELETE")
    check(st == 405 and h.get("content-type") == "application/json", "API 405 is JSON")
    out = s.raw(b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check(status_line(out).startswith("HTTP/1.1 405") and b"\r\nallow: GET, HEAD, POST\r\n" in out.lower().replace(b"get, head, post", b"GET, HEAD, POST"),
          f"OPTIONS * (the server as a whole) is 405 with the server's methods ({status_line(out)})")
    out = s.raw(b"GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check(status_line(out).startswith("HTTP/1.1 400"), f"GET * is 400 ({status_line(out)})")


def walk_strings(v):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from walk_strings(k)
            yield from walk_strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk_strings(x)
    elif isinstance(v, str):
        yield v


def test_no_paths(s):
    """A server never tells its clients where its files are: not the registry's, not the
    knowledge file's, not nmap-services'."""
    secrets = [os.path.dirname(os.path.abspath(CSV)), TMP, os.path.dirname(KNOWLEDGE)]
    base = os.path.basename(CSV)
    for p in ("/api/v1/ports/625", "/api/v1/ports/22/tcp", "/api/v1/ports/22-23", "/api/v1/ports/ssh",
              "/api/v1/services/ssh", "/api/v1/ranges", "/api/v1/list?limit=2", "/api/v1/search?q=ssh",
              "/api/v1/ports/99999", "/api/v1/nope"):
        st, h, body = s.get(p)
        text = body.decode()
        leaked = [x for x in secrets if x in text]
        check(not leaked, f"{p} names no server path ({leaked})")
        reg = json.loads(body).get("registry")
        check(isinstance(reg, dict) and reg.get("source") == base and "/" not in reg.get("source", "/")
              and isinstance(reg.get("date"), str) and len(reg["date"]) == 10,
              f"{p}: registry.source is the file name {base!r} with a date ({reg})")
        obs = reg.get("observed_source") if isinstance(reg, dict) else None
        check(obs is None or "/" not in obs, f"{p}: observed_source is a file name or null ({obs!r})")
    for p in ("/", "/ports/625", "/ports/3025", "/services/ssh", "/ranges", "/map", "/stats", "/search?q=ssh",
              "/nope"):
        st, h, body = s.get(p)
        text = body.decode()
        leaked = [x for x in secrets if x in text]
        check(not leaked, f"{p} names no server path ({leaked})")
        check(base in text, f"{p} names the registry file {base!r}")


def test_api(s):
    for p in ("/api/v1/ports/22/tcp", "/api/v1/ports/ssh", "/api/v1/ports/22-25", "/api/v1/services/ssh",
              "/api/v1/ranges", "/api/v1/list"):
        st, h, body = s.get(p)
        check(st == 200 and h.get("content-type") == "application/json", f"{p} 200 JSON ({st})")
        check(h.get("access-control-allow-origin") == "*", f"{p} allows any origin (CORS)")
        check(re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} 00:00:00 GMT", h.get("last-modified", "")) is not None,
              f"{p} has Last-Modified from the registry date ({h.get('last-modified')})")
    st, h, body = s.get("/api/v1/ports/625")
    reg = json.loads(body)["registry"]
    y, m, d = reg["date"].split("-")
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    check(f"{d} {months[int(m) - 1]} {y}" in h.get("last-modified", ""), f"Last-Modified is the registry's date {reg['date']}")
    st, h, body = s.get("/api/v1/ports/99999")
    check(h.get("access-control-allow-origin") == "*", "errors carry CORS too")
    for p in ("/api/v1/ports/625", "/api/v1/ports/80/tcp", "/api/v1/ports/22-25", "/api/v1/ports/ssh",
              "/api/v1/services/ssh", "/api/v1/search?q=ssh", "/api/v1/list?limit=50"):
        empties = [x for x in walk_strings(json.loads(s.get(p)[2])) if x == ""]
        check(not empties, f"{p}: absent values are null, never \"\" ({len(empties)})")

    st, _, body = s.get("/api/v1/ports/22/udp")
    o = json.loads(body)
    check(o["port"] == 22 and o["protocol"] == "udp" and list(o["protocols"]) == ["udp"]
          and all(x["protocol"] == "udp" for x in o["observed"]), "22/udp: only the udp protocol and observations")
    st, _, body = s.get("/api/v1/ports/22-25")
    o = json.loads(body)
    check([x["port"] for x in o["ports"]] == [22, 23, 24, 25] and "registry" in o
          and all("registry" not in x for x in o["ports"]), "22-25: four port objects, one registry")
    st, _, body = s.get("/api/v1/ports/SSH")
    o = json.loads(body)
    check(st == 200 and [x["port"] for x in o["ports"]] == [22], f"a service name gives its ports ({st})")
    st, _, body = s.get("/api/v1/services/ssh")
    o = json.loads(body)
    check(o["service"] == "ssh" and {r["protocol"] for r in o["rows"]} >= {"tcp", "udp"}
          and all(r["name"].lower() == "ssh" for r in o["rows"]), "services/ssh: its registry rows")
    check(isinstance(o["knowledge"], dict) and isinstance(o["knowledge"]["servers"], list),
          "services/ssh: the knowledge file's servers")
    st, _, body = s.get("/api/v1/ranges")
    o = json.loads(body)
    check([(r["name"], r["first"], r["last"]) for r in o["ranges"]]
          == [("system", 0, 1023), ("user", 1024, 49151), ("dynamic", 49152, 65535)], "ranges: the three of RFC 6335")

    # Paging: pages of a filtered list concatenate to the whole list.
    st, _, body = s.get("/api/v1/list?status=reserved&range=system&proto=tcp&limit=1000")
    whole = json.loads(body)
    check(whole["total"] == len(whole["items"]) and whole["total"] > 0
          and all(x["status"] == "reserved" and x["protocol"] == "tcp" and x["port"] < 1024 for x in whole["items"]),
          f"list filters by status, range and proto ({whole['total']})")
    got = []
    for off in range(0, whole["total"], 7):
        st, _, body = s.get(f"/api/v1/list?status=reserved&range=system&proto=tcp&limit=7&offset={off}")
        page = json.loads(body)
        check(page["limit"] == 7 and page["offset"] == off and page["total"] == whole["total"], f"page at {off}")
        got += page["items"]
    check(got == whole["items"], "pages of 7 add up to the whole list")
    check(all(x["name"] is None or isinstance(x["name"], str) for x in whole["items"]), "name is a string or null")
    st, _, body = s.get("/api/v1/list?status=assigned&proto=tcp&limit=5&offset=0")
    items = json.loads(body)["items"]
    check(all(isinstance(x["port"], int) and isinstance(x["name"], str) for x in items), "assigned items have names")

    # gzip when asked, the same bytes once inflated, and never when not asked.
    import gzip
    for p in ("/api/v1/ports/625", "/ports/625", "/api/v1/ports/22-25", "/api/v1/list?limit=50"):
        st, h, plain = s.get(p)
        st2, h2, packed = s.get(p, headers={"Accept-Encoding": "gzip, deflate"})
        check(h2.get("content-encoding") == "gzip" and gzip.decompress(packed) == plain and len(packed) < len(plain),
              f"{p} gzipped when asked ({len(plain)} -> {len(packed)} bytes)")
        check("content-encoding" not in h and "accept-encoding" in h.get("vary", "").lower(),
              f"{p} plain when not asked, with Vary")
        if "etag" in h2:
            check(h2["etag"] != h.get("etag"), f"{p}: the gzip variant has its own ETag")
            st3, _, _ = s.get(p, headers={"Accept-Encoding": "gzip", "If-None-Match": h2["etag"]})
            check(st3 == 304, f"{p}: 304 for the gzip variant's ETag")
    st, h, _ = s.get("/api/v1/ports/625", headers={"Accept-Encoding": "gzip;q=0"})
    check("content-encoding" not in h, "gzip;q=0 is a refusal")
    # Two Accept-Encoding lines are one list (RFC 9110, section 5.3): the second counts too.
    for lines, want in ((b"Accept-Encoding: identity\r\nAccept-Encoding: gzip\r\n", True),
                        (b"Accept-Encoding: gzip\r\nAccept-Encoding: gzip;q=0\r\n", False),
                        (b"Accept-Encoding: br\r\nAccept-Encoding: *\r\n", True)):
        out = s.raw(b"GET /api/v1/ports/625 HTTP/1.1\r\nHost: x\r\n" + lines + b"Connection: close\r\n\r\n")
        head = out.partition(b"\r\n\r\n")[0].lower()
        check(status_line(out).startswith("HTTP/1.1 200") and (b"content-encoding: gzip" in head) == want,
              f"Accept-Encoding over two lines {lines!r}: gzip {want} ({status_line(out)})")


def metric(s, name):
    _, _, body = s.get("/metrics")
    m = re.search(rf"^{name} (\d+)", body.decode(), re.M)
    return int(m.group(1)) if m else None


def test_response_cache(s):
    """Rendered responses are kept per target and variant: the same request gets the same bytes,
    another encoding (or language) never gets a variant it did not ask for, and nothing per client
    or with live counters is kept."""
    import gzip
    for p in ("/ports/625", "/ports/8443", "/services/ssh", "/api/v1/ports/625", "/api/v1/services/ssh",
              "/search?q=ssh", "/api/v1/search?q=ssh", "/", "/ranges", "/map?proto=udp"):
        # The gzip variant first, so that a plain request would find it if variants mixed.
        st1, h1, packed1 = s.get(p, headers={"Accept-Encoding": "gzip"})
        st2, h2, plain1 = s.get(p)
        st3, h3, plain2 = s.get(p)
        st4, h4, packed2 = s.get(p, headers={"Accept-Encoding": "gzip"})
        check(st1 == st2 == st3 == st4 == 200, f"{p}: 200 ({st1} {st2} {st3} {st4})")
        check(plain1 == plain2 and h2.get("etag") == h3.get("etag"), f"{p}: a second request gets the same bytes")
        check(packed1 == packed2 and h1.get("etag") == h4.get("etag"), f"{p}: the same gzipped bytes again")
        check("content-encoding" not in h2 and "content-encoding" not in h3,
              f"{p}: a client that did not ask for gzip does not get the cached gzip variant")
        if h1.get("content-encoding") == "gzip":
            check(gzip.decompress(packed1) == plain1, f"{p}: both variants say the same")
        st5, h5, _ = s.get(p, method="HEAD")
        check(st5 == 200 and h5.get("content-length") == str(len(plain1)), f"{p}: HEAD from the cache: the same length")
    hits = metric(s, "portscope_http_cache_hits_total")
    s.get("/ports/625")
    check(hits is not None and metric(s, "portscope_http_cache_hits_total") == hits + 1,
          "a repeated request is answered from the cache")
    # Errors (which may echo the client's text) and pages with live counters are not kept.
    entries = metric(s, "portscope_http_cache_entries")
    for p in ("/services/no-such-service-xyz", "/services/no-such-service-xyz", "/stats", "/metrics",
              "/api/v1/services/no-such-service-xyz", "/feedback?page=/ports/625", "/healthz"):
        s.get(p)
    check(metric(s, "portscope_http_cache_entries") == entries, f"errors and live pages are not cached ({entries})")
    # A wide range is served but not kept (64k windows of 3 MB would push everything out); a narrow
    # one is kept.
    for p in ("/api/v1/ports/100-1123", "/api/v1/ports/101-1124"):
        st, _, body = s.get(p)
        check(st == 200 and len(json.loads(body)["ports"]) == 1024, f"{p}: 1024 ports")
    check(metric(s, "portscope_http_cache_entries") == entries, f"wide ranges are not kept ({entries})")
    # Wide ranges are rendered one at a time: a burst of them gets 200s and 503s with Retry-After
    # (which and how many depends on how the requests overlap), never anything else, and the
    # server renders the next one once the burst is over.
    results = []
    def wide(i):
        results.append(s.get(f"/api/v1/ports/{2000 + 100 * i}-{2000 + 100 * i + 1023}"))
    burst = [threading.Thread(target=wide, args=(i,)) for i in range(8)]
    for t in burst:
        t.start()
    for t in burst:
        t.join()
    statuses = sorted(st for st, _, _ in results)
    busy = [(h, b) for st, h, b in results if st == 503]
    check(len(results) == 8 and set(statuses) <= {200, 503} and 200 in statuses
          and all(h.get("retry-after") == "1" and b"64 ports" in b for h, b in busy),
          f"a burst of wide ranges: 200, or 503 with Retry-After ({statuses})")
    st, _, _ = s.get("/api/v1/ports/3000-4023")
    check(st == 200, f"after the burst, a wide range is rendered again ({st})")
    s.get("/api/v1/ports/100-163")
    check(metric(s, "portscope_http_cache_entries") == entries + 1, "a range of 64 ports is kept")
    st, _, body = s.get("/services/no-such-service-xyz?x=1")
    check(st == 404, "an error is rendered every time")
    # The key is the route's one spelling: a junk query or another spelling of the same target is
    # the same response, not a new one to render and keep (a 3 MB range object for each "?a=N").
    for p in ("/api/v1/ports/1-64", "/he/ports/625"):
        s.get(p)
    entries = metric(s, "portscope_http_cache_entries")
    misses = metric(s, "portscope_http_cache_misses_total")
    bodies = set()
    for p in ("/api/v1/ports/1-64?a=1", "/api/v1/ports/1-64?a=2",
              "/ports/625?x=1", "/services/%73sh?x", "/search?q=ssh&junk=1", "/search?q=%73sh",
              "/map?proto=udp&x=2", "/he/ports/625?x=3"):
        st, h, body = s.get(p)
        check(st == 200, f"{p}: 200 ({st})")
    check(metric(s, "portscope_http_cache_entries") == entries and metric(s, "portscope_http_cache_misses_total") == misses,
          f"junk queries and other spellings render nothing new ({entries} -> {metric(s, 'portscope_http_cache_entries')})")
    st, _, a = s.get("/ports/625?x=1")
    _, _, b = s.get("/ports/625")
    check(a == b and b'href="/he/ports/625"' in b and b"x=1" not in a,
          "and the page's own links (its languages) are the canonical ones")
    # A few registered names have a slash: their pages and objects are reached as %2F.
    for name in ("914c%2Fg", "EtherNet%2FIP-1"):
        st, _, body = s.get(f"/services/{name}")
        st2, _, obj = s.get(f"/api/v1/services/{name}")
        check(st == 200 and st2 == 200 and json.loads(obj).get("service") in ("914c/g", "EtherNet/IP-1"),
              f"/services/{name} and its API object: {st} {st2}")
    st, _, body = s.get("/ports/211")
    check(b'href="/services/914c%2Fg"' in body, "port 211 links its service by the %2F spelling")
    # Languages: once the server speaks another language than English, a page cached in one must
    # never be served to a client that asked for the other.
    _, hh, he = s.get("/ports/625", headers={"Accept-Language": "he"})
    _, he2, en = s.get("/ports/625", headers={"Accept-Language": "en"})
    if hh.get("content-language", "en") != "en":
        check(he != en and he2.get("content-language", "en") == "en", "each language gets its own cached page")


def page_text(html):
    t = re.sub(r"<script[^>]*>.*?</script>", " ", html, flags=re.S)
    t = re.sub(r"</?(a|strong|em|span|code|sup|bdi)\b[^>]*>", "", t)
    t = re.sub(r"<[^>]+>", " ", t)
    import html as h
    return re.sub(r"\s+", " ", h.unescape(t))


def test_port_explained(s):
    """The top of /ports/N explains from facts: statuses with their meaning, the range, the
    occupants (mainstream first), nmap's default scan with a rank, an FAQ in JSON-LD, references."""
    st, _, body = s.get("/ports/625")
    html = body.decode()
    text = page_text(html)
    top = text[:text.find("In the registry")]
    check("tcp, udp: assigned" in top and "sctp, dccp: unassigned" in top, "625: statuses grouped by protocol")
    check("IANA has assigned this port" in top and "No service is assigned" in top, "625: each status explained")
    check("Range: system (0-1023)" in top, "625: the range and its bounds")
    obs = json.loads(s.get("/api/v1/ports/625")[2])["observed"]
    if any(o["protocol"] == "tcp" for o in obs):
        m = re.search(r"default TCP scan \(top 1,000 TCP ports\): (yes, rank [\d,]+|no \(rank [\d,]+\)|no \(nmap)", top)
        check(m is not None and m.group(1) == "yes, rank 150", f"625/tcp is in nmap's default scan, rank 150 ({m and m.group(1)})")
        st, _, body = s.get("/ports/250")
        m = re.search(r"default TCP scan \(top 1,000 TCP ports\): (no \(rank ([\d,]+)\))", page_text(body.decode()))
        check(m is not None and int(m.group(2).replace(",", "")) > 1000, f"250/tcp is not in the default scan ({m and m.group(1)})")
    check(top.find("DEC DLM") < top.find("Harmless dev server"), "625: the assigned service comes before known uses")
    occ = top[top.find("Usual occupants"):top.find("In nmap")]
    check(occ.count("DEC DLM") == 1 and "dec-dlm" in occ, f"625: an alias (dec_dlm) is not a second occupant ({occ!r})")
    # One compact table, the full columns behind a toggle.
    check(html.count('<table class="rows">') == 1 and "<details class=\"allcols\"><summary>Show all columns</summary>"
          in html, "625: registry rows in one table, all columns behind <details>")
    # The FAQ, as schema.org FAQPage.
    lds = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, flags=re.S)
    check(len(lds) == 1, "one JSON-LD block")
    ld = json.loads(lds[0]) if lds else {}
    names = [q["name"] for q in ld.get("mainEntity", [])]
    check(ld.get("@type") == "FAQPage" and names == ["Is anything supposed to be on port 625?",
                                                     "Is it safe to block port 625?",
                                                     "Why do scanners check port 625?",
                                                     "How do I see what is listening on port 625?"],
          f"FAQPage with the four questions ({names})")
    for q in ld.get("mainEntity", []):
        check(q["acceptedAnswer"]["text"] in text, f"the answer to {q['name']!r} is on the page too")
    check("dec-dlm" in ld["mainEntity"][0]["acceptedAnswer"]["text"], "the FAQ names the assigned service")
    # Numbered references, each citation pointing at one.
    refs = re.findall(r'<li id="ref-(\d+)">', html)
    cites = set(re.findall(r'href="#ref-(\d+)"', html))
    check(refs and refs == [str(i) for i in range(1, len(refs) + 1)] and cites <= set(refs),
          f"numbered references ({len(refs)}), every citation resolves")
    check("RFC 6335" in text[text.find("References"):], "RFC 6335 is a reference")
    # Content-Language names each page's language; "iw" (Hebrew's old code) is Hebrew.
    st, h, _ = s.get("/fr/ports/22")
    check(h.get("content-language") == "fr", f"/fr/ports/22: Content-Language fr ({h.get('content-language')})")
    st, h, _ = s.get("/ports/22", headers={"Accept-Language": "iw-IL"})
    check(h.get("content-language") == "he", f"Accept-Language iw-IL is Hebrew ({h.get('content-language')})")
    # The stylesheet the pages link (its version in the URL) never changes: cached for a year.
    html = s.get("/ports/22")[2].decode()
    v = re.search(r'href="(/style\.css\?v=[0-9a-f]+)"', html)
    st, h, _ = s.get(v.group(1) if v else "/style.css?v=")
    check(v and st == 200 and "immutable" in h.get("cache-control", ""), f"{v and v.group(1)}: {h.get('cache-control')}")
    st, h, _ = s.get("/style.css?v=0")
    check(st == 200 and "immutable" not in h.get("cache-control", ""), "another version: not immutable")
    check(re.search(r"updated <bdi>[0-9-]+</bdi>\)\. ", html) is not None, "the footer's data sentence ends with a full stop")
    check("Not a port: port out of range (0-65535)." in page_text(s.get("/search?q=99999")[2].decode()),
          "/search?q=99999 says it is not a port")
    # Knowledge entries' names are English, marked so on a page in another language.
    body = s.get("/he/search?q=dev")[2].decode()
    check('<span lang="en" dir="ltr">Harmless dev server</span>' in body,
          f"a knowledge name in Hebrew search results is marked English: {re.findall(r'.{40}Harmless dev server', body)[:1]}")
    # Numbers are grouped everywhere, tables and the map's axis included.
    stats = s.get("/stats")[2].decode()
    check(re.search(r"<td><bdi>\d{1,3}(,\d{3})+</bdi></td>", stats) and not re.search(r"<td>\d{4,}</td>", stats),
          "/stats: the registry table's counts are grouped")
    check("<bdi>16,384</bdi>" in s.get("/map")[2].decode(), "the map's axis: 16,384")
    # A service's lead is what most of its rows say; a row without a port has no "/tcp" heading.
    body = s.get("/services/http-alt")[2].decode()
    check('<p class="lead">HTTP Alternate</p>' in body, f"http-alt's lead: {re.findall(r'<p class=.lead.>[^<]*', body)}")
    body = s.get("/services/ssh")[2].decode()
    check("ssh · tcp</bdi>" in body and "ssh · /tcp" not in body, "ssh's name-only row: heading 'ssh · tcp'")
    # Every protocol of every service, and no silent cut.
    faq = lambda port: [q["acceptedAnswer"]["text"] for q in json.loads(re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', s.get(f"/ports/{port}")[2].decode(), flags=re.S)[0])["mainEntity"]]
    a = faq(80)
    check("http (tcp, udp, sctp)" in a[0] and "www (tcp, udp)" in a[0] and "and 1 more" in a[1],
          f"80's FAQ names each service's protocols, and says what it leaves out: {a[:2]}")
    check("active-net." in faq(3323)[0] and "active-net/" not in faq(3323)[0], "a row without a protocol: no 'name/'")
    # "any private mail system" (24): set aside for private use, not a service with an empty name.
    st, _, body = s.get("/ports/24")
    text = page_text(body.decode())
    a = faq(24)
    check("private use" in a[0] and "assigns it to ." not in text and "cuts off  from" not in text
          and "set aside for private use" in text, f"24 is for private use: {a[:2]}")
    # The dynamic range is never assigned; reserved user ports are not "unassigned".
    text = page_text(s.get("/ports/49152")[2].decode())
    check("free to be assigned" not in text and "never" in text, "49152: dynamic, never assigned")
    api = json.loads(s.get("/api/v1/ports/1109")[2])
    check(all(p["advice"].startswith("Reserved by IANA") for p in api["protocols"].values()),
          f"1109 (Reserved - IANA): reserved advice ({api['protocols']['tcp']['advice']})")
    check("Nothing can listen on port 0" in json.loads(s.get("/api/v1/ports/0")[2])["protocols"]["tcp"]["advice"],
          "port 0: nothing can listen there")
    # /ranges: every class counted, so that each range's counts add up to its size.
    body = s.get("/ranges")[2].decode()
    for sec, size in zip(re.findall(r"<section.*?</section>", body, flags=re.S), (1024, 48128, 16384)):
        nums = [int(n.replace(",", "")) for n in re.findall(r"<li><span[^>]*></span><bdi>([\d,]+)</bdi> ports?:", sec)]
        check(sum(nums) == size, f"/ranges: the counts of a range add up to {size} ({nums})")
    # 80: mainstream before malware history.
    st, _, body = s.get("/ports/80")
    text = page_text(body.decode())
    lead = text[text.find("Port 80 is"):text.find("In short")]
    check("code" not in lead.lower() or "red" not in lead.lower(), f"80's summary does not lead with malware ({lead!r})")
    # Hostile knowledge stays escaped inside the JSON-LD.
    st, _, body = s.get("/ports/3025")
    html = body.decode()
    ld = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, flags=re.S)
    check(ld and "<" not in ld[0] and json.loads(ld[0])["@type"] == "FAQPage", "JSON-LD escapes markup")


def png_classes(png):
    """The class of each port on a map PNG (the top-left pixel of its 2x2 cell), and the raw rows."""
    import zlib
    pos, idat = 8, b""
    while pos < len(png):
        n = int.from_bytes(png[pos:pos + 4], "big")
        if png[pos + 4:pos + 8] == b"IDAT":
            idat += png[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompress(idat)
    rows = [raw[y * 513 + 1:(y + 1) * 513] for y in range(512)]
    return [rows[(p // 256) * 2][(p % 256) * 2] for p in range(65536)], rows


def test_map_wide():
    """Wide knowledge ranges (RTP 10000-20000/udp) are hatched, on their protocol only."""
    s = Server(knowledge=None)
    try:
        tcp, _ = png_classes(s.get("/map.png")[2])
        udp, rows = png_classes(s.get("/map.png?proto=udp")[2])
        wide_udp = sum(1 for p in range(10000, 20001) if udp[p] == 5)
        wide_tcp = sum(1 for p in range(10000, 20001) if tcp[p] == 5)
        check(wide_udp > 1000 and wide_tcp == 0, f"10000-20000: hatched on udp ({wide_udp}), not on tcp ({wide_tcp})")
        p = next(p for p in range(10000, 20001) if udp[p] == 5)
        x, y = (p % 256) * 2, (p // 256) * 2
        check({rows[y][x], rows[y][x + 1], rows[y + 1][x], rows[y + 1][x + 1]} == {3, 5} or
              {rows[y + 1][x], rows[y + 1][x + 1]} & {3}, f"port {p}: drawn as hatching, not fill")
        check(sum(1 for c in udp if c == 3) < sum(1 for c in udp if c == 5), "most knowledge cells on udp are hatched")
        check(sum(1 for c in tcp if c == 2) > 0 and sum(1 for c in udp if c == 2) > 0, "reserved ports are visible")
    finally:
        s.stop()


def test_escaping(s):
    st, _, body = s.get("/ports/3025")
    html = body.decode()
    check(st == 200, "/ports/3025 with a hostile knowledge entry renders")
    check("<script>alert" not in html and "<img src=x" not in html, "no raw markup from the knowledge file")
    check("Evil &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html, "entry name shown escaped")
    check("&amp; &quot;quotes&quot; &#39;single&#39; &lt;img src=x onerror=alert(1)&gt;" in html,
          "summary shown escaped")
    check('<code dir="ltr">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</code>' in html, "process name shown escaped")
    check('href="https://example.invalid/&quot;&gt;&lt;script&gt;' in html, "source URL escaped inside href")
    st, _, body = s.get("/services/ssh")
    html = body.decode()
    check("<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html, "service servers escaped")
    check('href="javascript:' not in html, "a javascript: source is never a link")
    st, _, body = s.get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    html = body.decode()
    check(st == 200 and "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html,
          "the search query is reflected escaped")
    st, _, body = s.get("/search?q=evil")
    html = body.decode()
    check("<script>alert" not in html and "Evil &lt;script&gt;" in html, "search results escaped")
    st, _, body = s.get("/api/v1/ports/3025")
    check(b"<script>" not in body and json.loads(body)["unofficial"], "JSON escapes markup (\\u003c) and keeps it")
    st, h, body = s.get("/services/%3Cscript%3E")
    check(st == 404 and b"<script>" not in body, "an unknown hostile service name is 404 and not reflected raw")


def test_hostile_registry():
    s = Server(registry=HOSTILE_CSV, knowledge=KNOWLEDGE)
    try:
        st, _, body = s.get("/ports/4444")
        html = body.decode()
        check(st == 200, "/ports/4444 of a hostile registry renders")
        check("<script>" not in html and "<iframe" not in html and "<b>x</b>" not in html,
              "no raw markup from registry columns")
        check("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html and "notes &lt;iframe src=x&gt;" in html,
              "description and notes shown escaped")
        st, _, body = s.get("/services/evil-svc")
        check(st == 200 and b"<script>" not in body, "service page of a hostile row escaped")
        st, _, body = s.get("/search?q=evil")
        check(st == 200 and b"<script>alert" not in body, "search over hostile rows escaped")
        st, _, body = s.get("/")
        check(st == 200 and b"<script>alert" not in body, "home page with a hostile registry")
    finally:
        s.stop()


def test_paths(s):
    for raw_path in (b"/../../etc/passwd", b"/%2e%2e/%2e%2e/etc/passwd", b"/services/..%2f..%2fetc%2fpasswd",
                     b"/ports/../../etc/passwd", b"/./", b"//etc/passwd", b"/api/v1/../../etc/passwd"):
        out = s.raw(b"GET " + raw_path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        check(status_line(out).split(" ")[1:2] in (["404"], ["400"]) and b"root:" not in out,
              f"{raw_path.decode()} reaches no file ({status_line(out)})")
    # Port numbers are never grouped, in the heading or the links to the neighbours, in any language.
    for lang in ("", "/fr", "/de"):
        st, _, body = s.get(lang + "/ports/6335")
        nums = re.findall(rb'rel="(?:prev|next)" href="(?:/[a-z]{2})?/ports/\d+">.*?</a>', body)
        check(st == 200 and len(nums) == 2 and all(re.search(rb"\b633[46]\b", n) for n in nums),
              f"{lang}/ports/6335 links Port 6334 and Port 6336, ungrouped: {nums}")


def raw_response(s, target, headers=b"Host: x\r\n"):
    """One request with a raw target on its own connection: (status, headers, body)."""
    out = s.raw(b"GET " + target + b" HTTP/1.1\r\n" + headers + b"Connection: close\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hd = {ln.split(":", 1)[0].lower(): ln.split(":", 1)[1].strip() for ln in lines[1:] if ":" in ln}
    st = int(lines[0].split(" ")[1]) if lines[0].startswith("HTTP/1.1 ") else 0
    return st, hd, body


def read_response(sock, head_only=False):
    """Reads one response off a kept-alive socket: (status, [(name, value)], body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        ch = sock.recv(65536)
        if not ch:
            break
        data += ch
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = [(ln.split(":", 1)[0].strip().lower(), ln.split(":", 1)[1].strip()) for ln in lines[1:] if ":" in ln]
    st = int(lines[0].split(" ")[1]) if lines[0].startswith("HTTP/1.1 ") else 0
    n = 0 if head_only or st == 304 else int(dict(fields).get("content-length", "0"))
    while len(rest) < n:
        ch = sock.recv(65536)
        if not ch:
            break
        rest += ch
    return st, fields, rest


def test_not_modified_length(s):
    """RFC 9110, section 8.6: a 304 carries no Content-Length, or the one its 200 would have had
    (libmicrohttpd 0.9.75, serve's transport until 2026-12-04, sent "Content-Length: 0"); the
    connection goes on after it."""
    for path, gzip in (("/api/v1/ports/625", False), ("/api/v1/ports/625", True), ("/ports/625", False),
                       ("/ports/625", True), ("/he/ports/22", True), ("/map.png", False), ("/style.css", True),
                       ("/api/v1/ports/1-200", False)):
        enc = b"Accept-Encoding: gzip\r\n" if gzip else b""
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        try:
            sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + enc + b"\r\n")
            st, fields, body = read_response(sock)
            etag = dict(fields).get("etag", "")
            rounds = []
            for method in (b"GET", b"HEAD"):
                sock.sendall(method + b" " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + enc
                             + b"If-None-Match: " + etag.encode() + b"\r\n\r\n")
                st2, f2, _ = read_response(sock)
                rounds.append((st2, [v for k, v in f2 if k == "content-length"]))
            # The same connection answers the next request, and nothing was left in between.
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            st3, _, ok = read_response(sock)
        finally:
            sock.close()
        check(st == 200 and etag and all(r[0] == 304 and r[1] in ([], [str(len(body))]) for r in rounds),
              f"{path}{' (gzip)' if gzip else ''}: a 304 to GET and HEAD has no Content-Length or the 200's "
              f"({len(body)}): {rounds}")
        check(st3 == 200 and ok == b"ok\n", f"{path}: the kept-alive connection answers after the 304 ({st3} {ok!r})")


def test_absolute_form(s):
    """RFC 9112, section 3.2.2: a server must accept an absolute-form target. Its path and query
    are routed (the same response, from the same cache entry), its authority replaces Host."""
    here = f"127.0.0.1:{s.port}".encode()
    st0, h0, body0 = s.get("/ports/625")
    entries = metric(s, "portscope_http_cache_entries")
    st, hd, body = raw_response(s, b"http://" + here + b"/ports/625?from=absolute", b"Host: " + here + b"\r\n")
    check(st == 200 and body == body0 and hd.get("etag") == h0.get("etag"),
          f"GET http://HOST/ports/625 is the page of /ports/625, with its ETag ({st})")
    check(metric(s, "portscope_http_cache_entries") == entries, "served from the cache entry of /ports/625, not a new one")
    st, hd, body = raw_response(s, b"HTTP://localhost/api/v1/ports/625")
    check(st == 200 and hd.get("content-type") == "application/json" and json.loads(body).get("port") == 625,
          f"the scheme in capitals, another Host, the API: its object ({st})")
    st, hd, _ = raw_response(s, b"http://" + here + b"/ports/0625")
    check(st == 301 and hd.get("location") == "/ports/625", f"another spelling redirects to the path ({st}, {hd.get('location')})")
    st, hd, body = raw_response(s, b"http://[::1]:6335/he/ports/22")
    check(st == 200 and b'<html lang="he" dir="rtl">' in body and b"http://[::1]" not in body,
          f"a language prefix in an absolute-form target, the page's links are paths ({st})")
    for target in (b"http://" + here, b"http://" + here + b"?x=1"):
        st, _, body = raw_response(s, target)
        check(st == 200 and b"<h1" in body, f"{target.decode()}: an empty path is / ({st})")
    st, _, body = raw_response(s, b"http://" + here + b"/api/v1/ports/99999")
    check(st == 404 and body.startswith(b"{"), f"an absolute-form API target's error is JSON ({st})")
    for target, why in ((b"https://" + here + b"/ports/625", "must be a path (/ports/22) or an http:// URI"),
                        (b"ftp://" + here + b"/ports/625", "must be a path (/ports/22) or an http:// URI"),
                        (b"ports/625", "must be a path (/ports/22) or an http:// URI"),
                        (b"http:///ports/625", "host in the request target is not valid"),
                        (b"http://user@" + here + b"/ports/625", "host in the request target is not valid"),
                        (b"http://" + here + b"0000/ports/625", "host in the request target is not valid"),
                        (b"http://127.0.0.1:/ports/625", "host in the request target is not valid"),
                        (b"http://127.0.0.1:65536/ports/625", "host in the request target is not valid"),
                        (b"http://127.0.0.1:99999/ports/625", "host in the request target is not valid"),
                        (b"http://127.0.0.1:8x/ports/625", "host in the request target is not valid"),
                        (b"http://[::1/ports/625", "host in the request target is not valid"),
                        (b"http://a%2eb/ports/625", "host in the request target is not valid"),
                        (b"http://<x>/ports/625", "host in the request target is not valid")):
        st, _, body = raw_response(s, target)
        check(st == 400 and why.encode() in body and b"<x>" not in body,
              f"{target.decode()}: 400, {why} ({st})")
    # A port above 65535 names no server: the target is refused, not routed. Refused with a path
    # of the API, it is answered as the API answers its errors: a JSON object.
    for target in (b"http://127.0.0.1:65536/api/v1/ports/22", b"http://127.0.0.1:99999/api/v1/ports/22",
                   b"http://127.0.0.1:4294967318/api/v1/ports/22", b"http://127.0.0.1:x/api/v1/ranges",
                   b"http://127.0.0.1:/api/v1/ports/22", b"http://u@127.0.0.1/api/v1/list",
                   b"https://" + here + b"/api/v1/ports/22"):
        st, hd, body = raw_response(s, target)
        try:
            err = json.loads(body).get("error", {})
        except ValueError:
            err = {}
        check(st == 400 and hd.get("content-type") == "application/json" and err.get("status") == 400
              and err.get("message"),
              f"{target.decode()}: 400 with the API's JSON error ({st}, {hd.get('content-type')}, {body[:60]!r})")
    # The framing checks hold for it as for any target: one Host, one length.
    out = s.raw(b"GET http://" + here + b"/ports/625 HTTP/1.1\r\nConnection: close\r\n\r\n")
    check(status_line(out).startswith("HTTP/1.1 400"), f"still exactly one Host header in HTTP/1.1 ({status_line(out)})")
    out = s.raw(b"GET http://" + here + b"/ports/625 HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n")
    check(status_line(out).startswith("HTTP/1.1 400"), f"two Host headers: 400 ({status_line(out)})")
    out = s.raw(b"POST http://" + here + b"/feedback HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n")
    check(status_line(out).startswith("HTTP/1.1 400"), f"a length given twice: 400 ({status_line(out)})")
    # The access log shows the target as the request line sent it.
    time.sleep(0.6)
    with open(s.log, "rb") as f:
        lines = f.read().decode().splitlines()
    sent = [ln for ln in lines if f'"GET http://127.0.0.1:{s.port}/ports/625?from=absolute HTTP/1.1" 200 {len(body0)} ' in ln]
    check(len(sent) == 1, f"the access log has the target as sent ({sent or lines[-2:]})")


def test_limits(s):
    # A NUL byte in the target: the rest of it must not go unseen (served, or logged, as /ports/22).
    # h2o's parser refuses any control byte in the request line.
    for target in (b"/ports/22\x00/../../etc/passwd", b"/api/v1/ports/22\x00zzz"):
        st, hd, body = raw_response(s, target)
        check(st == 400 and hd.get("connection") == "close" and b"passwd" not in body and b"zzz" not in body,
              f"a target with a NUL byte is 400 and closes ({target!r}: {st} {body[:120]!r})")
    for target in (b"/ports/22", b"/ports/22?x=1", b"/ports/22 "):
        st, hd, body = raw_response(s, target)
        check(st in (200, 400, 404) if target.endswith(b" ") else st == 200, f"{target!r} without a NUL is answered ({st})")
    out = s.raw(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check(status_line(out).startswith("HTTP/1.1 414"), f"a 5000-byte target is 414 ({status_line(out)})")
    out = s.raw(b"GET /api/v1/search?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    check(status_line(out).startswith("HTTP/1.1 414") and b"application/json" in head and body.startswith(b"{"),
          f"an API target too long is 414 in JSON, as the API's other errors ({head[:200]!r})")
    out = s.raw(b"GET http://x/api/v1/search?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = out.partition(b"\r\n\r\n")
    check(status_line(out).startswith("HTTP/1.1 414") and b"application/json" in head and body.startswith(b"{"),
          f"an absolute-form API target too long is 414 in JSON too ({head[:200]!r})")
    out = s.raw(b"GET /search?q=" + b"x" * 300 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check(status_line(out).startswith("HTTP/1.1 400"), f"a 300-byte query is 400 ({status_line(out)})")
    # An error page does not repeat the bad path in its links: a 4 KB request gets no 40 KB answer.
    for target in (b"/" + b"a" * 4000, b"/search?q=" + b"b" * 3900, b"/he/" + b"c" * 3900):
        out = s.raw(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        check(status_line(out).split(" ")[1:2] in (["404"], ["400"]) and out.count(target[-100:]) == 0
              and len(out) < 4000, f"an error page does not echo its {len(target)}-byte path ({len(out)} bytes)")
    out = s.raw(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 40000 + b"\r\nConnection: close\r\n\r\n")
    check(out == b"" or status_line(out).startswith("HTTP/1.1 431") or status_line(out).startswith("HTTP/1.1 414"),
          f"40 KB of headers are refused ({status_line(out) if out else 'connection closed'})")
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(3000))
    out = s.raw(b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"Connection: close\r\n\r\n")
    # h2o reads at most 100 headers: more is its own 400.
    check(out == b"" or status_line(out).split(" ")[1:2] in (["431"], ["400"]),
          f"3000 headers are refused ({status_line(out)})")
    body = b"page=%2Fports%2F1&helpful=yes&pad=" + b"z" * 5000  # over BODY_MAX (4096)
    out = s.raw(b"POST /feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    check(status_line(out).startswith("HTTP/1.1 413"), f"a 5 KB body is 413 ({status_line(out)})")
    chunk = b"z" * 5000
    out = s.raw(b"POST /feedback HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + b"%x\r\n" % len(chunk) + chunk + b"\r\n0\r\n\r\n")
    check(not out.startswith(b"HTTP/1.1 3") and not out.startswith(b"HTTP/1.1 2"),
          f"a chunked body past the limit is refused ({status_line(out) if out else 'connection closed'})")
    # A browser's cookies for the host (every local app shares localhost's): up to a 16 KiB head
    # they are served (HEAD_MAX), more is 431 with a message, never a connection closed without an
    # answer.
    def with_cookies(path, cookie):
        return s.raw(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
                     b"Accept: text/html,*/*;q=0.8\r\nAccept-Language: fr\r\nCookie: " + cookie + b"\r\nConnection: close\r\n\r\n")
    jar = lambda n, size=40: b"; ".join(b"c%d=%s" % (i, b"v" * size) for i in range(n))
    for path in (b"/ports/22", b"/", b"/api/v1/ports/22"):
        for cookie in (jar(100), jar(30, 200), b"a=" + b"v" * 12000):
            out = with_cookies(path, cookie)
            check(status_line(out).startswith("HTTP/1.1 200"),
                  f"{path.decode()} with {len(cookie)} bytes of cookies is served ({status_line(out) or 'no answer'})")
        silent = [n for n in range(100, 500, 12) if not with_cookies(path, jar(n)).startswith(b"HTTP/1.1 ")]
        check(not silent, f"{path.decode()}: every cookie jar of 100 to 500 cookies gets an answer (silent: {silent})")
        out = with_cookies(path, jar(300))
        check(status_line(out).startswith("HTTP/1.1 200"),
              f"{path.decode()}: 300 cookies (13.5 KB) are served ({status_line(out) or 'no answer'})")
        out = with_cookies(path, jar(400))
        check(status_line(out).startswith("HTTP/1.1 431") and (b"too large" in out or b"trop" in out),
              f"{path.decode()}: 400 cookies (18 KB) are 431 with a reason ({status_line(out) or 'no answer'})")
    # A length said twice (two Content-Lengths, or one beside Transfer-Encoding) is 400 and the end of
    # the connection: what follows must not run as a request (smuggling behind a proxy).
    for framing in (b"Content-Length: 5\r\nContent-Length: 40\r\n", b"Content-Length: 40\r\nContent-Length: 5\r\n",
                    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"):
        out = s.raw(b"POST /feedback HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\nvote=GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
        answers = out.count(b"HTTP/1.1 ")
        check(status_line(out).startswith("HTTP/1.1 400") and answers == 1 and b"\r\nConnection: close" in out,
              f"{framing!r}: 400, then the connection ends ({status_line(out)}, {answers} answers)")
    # A transfer coding other than chunked alone leaves the body's end unknown: refused (RFC 9112,
    # section 6.1 suggests 501; h2o answers 400 itself), and the connection ends.
    for te in (b"identity", b"gzip, chunked", b"chunked, identity", b"xchunked"):
        out = s.raw(b"POST /feedback HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te +
                    b"\r\n\r\nvote=GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
        check(status_line(out).split(" ")[1:2] in (["501"], ["400"]) and out.count(b"HTTP/1.1 ") == 1
              and b"\r\nConnection: close" in out, f"Transfer-Encoding {te!r}: refused, then the end ({status_line(out)})")
    # Two Transfer-Encoding lines, both chunked: h2o reads one; serve sees both (the head as sent)
    # and refuses what it cannot be sure of (501), then closes.
    out = s.raw(b"POST /feedback HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"5\r\nvote=\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
    check(status_line(out).startswith("HTTP/1.1 501") and out.count(b"HTTP/1.1 ") == 1
          and b"\r\nConnection: close" in out, f"two Transfer-Encoding lines: 501, then the end ({status_line(out)})")
    # HTTP/1.1 needs exactly one Host (RFC 9112, section 3.2); HTTP/1.0 may have none.
    for hosts in (b"", b"Host: a\r\nHost: b\r\n"):
        out = s.raw(b"GET /healthz HTTP/1.1\r\n" + hosts + b"Connection: close\r\n\r\n")
        check(status_line(out).startswith("HTTP/1.1 400") and b"Host" in out, f"Host {hosts!r}: 400 ({status_line(out)})")
    out = s.raw(b"GET /healthz HTTP/1.0\r\n\r\n")
    check(status_line(out).endswith(" 200 OK"), f"HTTP/1.0 without Host is served ({status_line(out)})")
    out = s.raw(b"garbage\r\n\r\n")
    check(out == b"" or status_line(out).startswith("HTTP/1.1 400"), "a garbage request line is refused")
    # The server is still fine.
    st, _, _ = s.get("/healthz")
    check(st == 200, "server healthy after the limit tests")


def test_slow_clients():
    s = Server("--request-timeout", "2", "--idle-timeout", "3", "--max-per-ip", "200")
    try:
        socks = []
        for _ in range(40):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            socks.append(c)
        idle = [socket.create_connection(("127.0.0.1", s.port), timeout=5) for _ in range(10)]
        start = time.monotonic()
        served = 0
        worst = 0.0
        closed_at = {}
        # Trickle a header byte every 0.4 s on every slow socket while normal clients are served.
        while time.monotonic() - start < 5.0:
            for i, c in enumerate(socks):
                if i in closed_at:
                    continue
                try:
                    c.sendall(b"X")
                except OSError:
                    closed_at[i] = time.monotonic() - start
                    continue
                c.setblocking(False)
                try:
                    if c.recv(1) == b"":
                        closed_at[i] = time.monotonic() - start
                except BlockingIOError:
                    pass
                except OSError:
                    closed_at[i] = time.monotonic() - start
                c.setblocking(True)
            t0 = time.monotonic()
            st, _, _ = s.get("/api/v1/ports/22")
            worst = max(worst, time.monotonic() - t0)
            served += st == 200
            time.sleep(0.4)
        check(served >= 8, f"normal clients are served while 40 slow ones trickle ({served} served)")
        check(worst < 1.5, f"and promptly (worst {worst * 1000:.0f} ms)")
        check(len(closed_at) == len(socks), f"every trickling client was cut off ({len(closed_at)}/40)")
        if closed_at:
            check(max(closed_at.values()) < 4.0, f"within the request timeout ({max(closed_at.values()):.1f} s)")
        gone = 0
        for c in idle:
            c.settimeout(3)
            try:
                gone += c.recv(1) == b""
            except OSError:
                gone += 1
        check(gone == len(idle), f"silent connections are closed ({gone}/{len(idle)})")
        for c in socks + idle:
            c.close()
        _, _, body = s.get("/metrics")
        reaped = [ln for ln in body.decode().splitlines() if ln.startswith("portscope_http_reaped_connections_total")]
        check(reaped and int(reaped[0].split()[1]) >= 40, f"metrics count reaped connections ({reaped})")
    finally:
        s.stop()


def test_slow_readers():
    """A client that asks and does not read: its answer waits in the server (h2o writes it as the
    socket takes it, from the response cache's bytes, held until then) and the connection is cut
    at the request timeout, while others are served on the same thread through more cache keys
    than a thread's front keeps. Under ASan this is where bytes freed too early would show."""
    s = Server("--threads", "1", "--request-timeout", "2", "--idle-timeout", "8")
    try:
        _, _, one = s.get("/api/v1/ports/1-64")
        _, _, wide = s.get("/api/v1/ports/1-1024")  # not kept: each is rendered and held alone
        slow = []
        for reqs in (30, 8):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.connect(("127.0.0.1", s.port))
            path = b"/api/v1/ports/1-64" if reqs == 30 else b"/api/v1/ports/1-1024"
            c.sendall((b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n") * reqs)
            slow.append((c, reqs))
        t0 = time.monotonic()
        served = sum(s.get(f"/api/v1/ports/{n}")[0] == 200 for n in range(20, 50))
        check(served == 30, f"others are served while two clients do not read ({served}/30)")
        time.sleep(max(0.0, 3.5 - (time.monotonic() - t0)))
        for c, reqs in slow:
            c.settimeout(5)
            got = 0
            try:
                while True:
                    b = c.recv(1 << 20)
                    if not b:
                        break
                    got += len(b)
            except OSError:
                pass
            c.close()
            whole = reqs * len(one if reqs == 30 else wide)
            check(got < whole, f"a reader that stalls is cut off at the request timeout ({got} of at least {whole} bytes)")
        _, _, m = s.get("/metrics")
        reaped = [ln for ln in m.decode().splitlines() if ln.startswith("portscope_http_reaped_connections_total")]
        check(reaped and int(reaped[0].split()[1]) >= 2, f"and counted as reaped ({reaped})")
        st, _, body = s.get("/api/v1/ports/1-64")
        check(st == 200 and body == one, "the cached answer is whole afterwards")
    finally:
        rc = s.stop()
        check(rc == 0, f"the server stops cleanly after its slow readers ({rc})")


def test_feedback():
    s = Server("--feedback-limit", "3/3600")
    try:
        st, _, body = s.get("/ports/625")
        html = body.decode()
        check('action="/feedback"' in html and 'name="page" value="/ports/625"' in html,
              "every page asks whether it was helpful")
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        st, h, _ = s.get("/feedback", method="POST", headers=form, body="page=%2Fports%2F625&helpful=yes")
        check(st == 303 and h.get("location") == "/feedback?page=%2Fports%2F625&voted=1", f"a vote redirects ({st})")
        check("set-cookie" not in h, "voting sets no cookie")
        st, _, body = s.get(h.get("location", "/"))
        check(st == 200 and b'<strong class="yes">1</strong>' in body and b"<h1>Thank you</h1>" in body,
              "the thank-you page shows the count")
        # The same page reached by a link, without a vote, shows the counts and thanks nobody.
        st, _, body = s.get("/feedback?page=%2Fports%2F625")
        check(st == 200 and b'<strong class="yes">1</strong>' in body and b"Thank you" not in body
              and b"<h1>Votes</h1>" in body, f"without a vote, the counts and no thanks ({st})")
        st, _, _ = s.get("/feedback", method="POST", headers=form, body="page=%2Fports%2F625&helpful=no")
        check(st == 303, "a second vote")
        st, _, body = s.get("/stats")
        html = body.decode()
        check('<a href="/ports/625">/ports/625</a></td><td class="yes">1</td><td class="somewhat">0</td>'
              '<td class="no">1</td>' in html, "/stats shows the counts")
        st, h, body = s.get("/feedback", method="POST", headers=form, body="page=%2Fports%2F22&helpful=yes")
        check(st == 303, "third vote allowed")
        st, h, body = s.get("/feedback", method="POST", headers=form, body="page=%2Fports%2F22&helpful=yes")
        check(st == 429 and h.get("retry-after") == "3600", f"the fourth vote of one address is 429, retry after "
              f"the configured refill of 3600 s ({st}, {h.get('retry-after')})")
        for bad in ("page=%2Fapi%2Fv1%2Fports%2F1&helpful=yes", "page=http%3A%2F%2Fevil%2F&helpful=yes",
                    "page=%2Fports%2F1&helpful=maybe", "page=%2Fnope&helpful=yes", "helpful=yes", "",
                    "page=%2Fservices%2Fno-such-xyz&helpful=no"):
            st, _, _ = s.get("/feedback", method="POST", headers=form, body=bad)
            check(st == 400, f"vote {bad!r} refused ({st})")
        st, _, _ = s.get("/feedback", method="POST", body="page=%2Fports%2F1&helpful=yes",
                         headers={**form, "Origin": "http://attacker.example"})
        check(st == 403, f"a vote posted from another site is refused ({st})")
        # Without an Origin, the other headers that name where a request comes from count too.
        for hdr in ({"Sec-Fetch-Site": "cross-site"}, {"Referer": "http://attacker.example/page"},
                    {"Referer": "http://127.0.0.1:%d.attacker.example/" % s.port}):
            st, _, _ = s.get("/feedback", method="POST", body="page=%2Fports%2F1&helpful=yes", headers={**form, **hdr})
            check(st == 403, f"a vote whose {hdr} is another site is refused ({st})")
        # DNS rebinding: another site's page, its name rebound to 127.0.0.1, posts to itself: its
        # Origin matches its Host, but that Host is not this machine's.
        st, _, body = s.get("/feedback", method="POST", body="page=%2Fports%2F1&helpful=yes",
                            headers={**form, "Host": "attacker.example:%d" % s.port,
                                     "Origin": "http://attacker.example:%d" % s.port})
        check(st == 421 and b"Host" in body, f"a vote for a rebound name is refused on loopback ({st})")
        st, _, body = s.get("/stats")
        check(b'href="/ports/1"' not in body, "and not counted")
        st, _, _ = s.get("/feedback?page=%2Fetc%2Fpasswd")
        check(st == 400, "thank-you page only for real pages")
    finally:
        s.stop()
    # The votes are in SQLite, and survive a restart.
    s2 = Server(db=s.db)
    try:
        st, _, body = s2.get("/stats")
        check(b'<td class="yes">1</td><td class="somewhat">0</td><td class="no">1</td>' in body,
              "votes survive a restart")
    finally:
        s2.stop()
    # One page has one spelling: votes on "/ports/0625" or "/services/%73sh" count as the canonical page.
    s4 = Server()
    try:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for page in ("%2Fservices%2Fssh", "%2Fservices%2F%2573sh", "%2Fservices%2Fs%2573h"):
            st, h, _ = s4.get("/feedback", method="POST", headers=form, body=f"page={page}&helpful=yes")
            check(st == 303 and h.get("location") == "/feedback?page=%2Fservices%2Fssh&voted=1",
                  f"vote on {page} counts for /services/ssh ({st}, {h.get('location')})")
        st, _, body = s4.get("/stats")
        check(body.count(b"/services/ssh</a>") == 1 and b'<td class="yes">3</td>' in body,
              "/stats shows one row with the three votes")
        # A store held by another writer: the vote is refused at once, not after seconds.
        import sqlite3
        db = sqlite3.connect(s4.db, timeout=0)
        db.execute("BEGIN IMMEDIATE")
        t0 = time.monotonic()
        st, _, _ = s4.get("/feedback", method="POST", headers=form, body="page=%2Fports%2F22&helpful=yes")
        took = time.monotonic() - t0
        db.rollback()
        db.close()
        check(st == 503 and took < 1.0, f"a busy store answers 503 quickly ({st}, {took:.2f} s)")
    finally:
        s4.stop()
    # The form counts characters (maxlength="300"), and so does the server: 300 Hebrew letters
    # (3,600 bytes once percent-encoded) are a note, and so are 300 emoji of 4 bytes each.
    from urllib.parse import quote
    s6 = Server()
    try:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for text in ("\u05e9" * 300, "\U0001F600" * 300):
            st, _, _ = s6.get("/he/feedback", method="POST", headers=form,
                              body="page=%2Fports%2F22&vote=somewhat&note=" + quote(text))
            check(st == 303, f"a note of 300 characters ({len(text.encode())} bytes) is kept ({st})")
        st, _, body = s6.get("/stats")
        check(("\u05e9" * 300).encode() in body, "and shown whole on /stats")
    finally:
        s6.stop()
    # Three faces, and "what was missing?" stored, capped and shown escaped.
    s5 = Server("--feedback-limit", "6/3600")
    try:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        st, _, body = s5.get("/ports/625")
        html = body.decode()
        values = re.findall(r'<button type="submit" name="vote" value="(\w+)"', html)
        check(values == ["no", "somewhat", "yes"], f"three faces: vote=no|somewhat|yes ({values})")
        check('<textarea id="fb-note" name="note" maxlength="300"' in html and '<label for="fb-note">' in html,
              "an optional, labelled, length-capped note")
        note = HOSTILE + " & more"
        import urllib.parse
        for vote, extra in (("somewhat", "&note=" + urllib.parse.quote(note)), ("no", "&note="), ("yes", "")):
            st, h, _ = s5.get("/feedback", method="POST", headers=form, body=f"page=%2Fports%2F625&vote={vote}{extra}")
            check(st == 303, f"vote={vote} taken ({st})")
        st, _, body = s5.get("/feedback?page=%2Fports%2F625")
        check(b'<strong class="yes">1</strong>' in body and b'<strong class="somewhat">1</strong>' in body
              and b'<strong class="no">1</strong>' in body, "the thank-you page counts each face")
        st, _, body = s5.get("/stats")
        html = body.decode()
        check('<td class="yes">1</td><td class="somewhat">1</td><td class="no">1</td>' in html, "/stats: three counts")
        check("<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in html
              and "(somewhat)" in html, "/stats shows the note escaped, with its vote")
        check(html.count("<q dir=\"auto\">") == 1, "an empty note is not stored")
        st, _, _ = s5.get("/feedback", method="POST", headers=form,
                          body="page=%2Fports%2F625&vote=no&note=" + "x" * 301)
        check(st == 400, f"a note over 300 characters is refused ({st})")

        st, _, _ = s5.get("/feedback", method="POST", headers=form, body="page=%2Fports%2F625&vote=no&note=%ff")
        check(st == 400, f"a note that is not UTF-8 is refused ({st})")
        st, _, _ = s5.get("/feedback", method="POST", headers=form, body="page=%2Fports%2F625&vote=maybe")
        check(st == 400, "vote=maybe refused")
        codes = [s5.get("/feedback", method="POST", headers=form, body="page=%2Fports%2F625&vote=no&note=spam")[0]
                 for _ in range(4)]
        check(codes == [303, 303, 303, 429], f"notes are rate-limited with the votes (6 per address: {codes})")
        st, _, body = s5.get("/stats")
        check(body.decode().count('<q dir="auto">spam</q>') == 3, "a refused vote stores no note")
    finally:
        s5.stop()
    s3 = Server("--no-feedback")
    try:
        st, _, body = s3.get("/ports/22")
        check(b'action="/feedback"' not in body, "--no-feedback removes the question")
    finally:
        s3.stop()


def test_concurrency(s):
    errors = []

    def worker(seed):
        c = s.conn()
        for i in range(60):
            port = (seed * 7919 + i * 104729) % 65536
            path = f"/api/v1/ports/{port}" if i % 2 else f"/ports/{port}"
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            if r.status != 200:
                errors.append((path, r.status))
        c.close()

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(not errors, f"480 keep-alive requests from 8 clients all 200 ({errors[:3]})")


def test_access_log(s):
    st, h, body = s.get("/ports/625?from=log-test")
    s.get("/ports/625?from=log-test-head", method="HEAD")
    # What a client sends cannot end a field early (forging the status or the agent) nor reach a
    # terminal raw: '"' is \x22, a C1 control (U+009B, CSI) \u009b, a byte that is no UTF-8 \xNN,
    # in the method, the target and the agent. (h2o's parser refuses C0 controls itself.)
    out = s.raw(b'X"\xc2\x9b]0;PWN /healthz?from=log-"q"\xc2\x9b HTTP/1.1\r\nHost: x\r\n'
                b'User-Agent: fake" 200 - "x\xc2\x9b\xff\r\nConnection: close\r\n\r\n')
    time.sleep(0.6)  # the log is written within a few milliseconds; the writer may be asleep
    with open(s.log, "rb") as f:
        raw = f.read()
    lines = raw.decode().splitlines()
    hits = [ln for ln in lines if "\"GET /ports/625?from=log-test HTTP/1.1\" 200 " in ln]
    check(hits and hits[-1].startswith("127.0.0.1 - - ["),
          f"the access log has the request ({hits[-1:] if hits else lines[-2:]})")
    check(hits and f'" 200 {len(body)} "' in hits[-1], f"and the bytes of the body sent ({len(body)}): {hits[-1:]}")
    head = [ln for ln in lines if "from=log-test-head" in ln]
    check(head and '"HEAD /ports/625?from=log-test-head HTTP/1.1" 200 - "' in head[-1], f"HEAD sends no body: {head}")
    forged = [ln for ln in lines if "from=log-" in ln and "healthz" in ln]
    check(b"\xc2\x9b" not in raw and b"\xff" not in raw and forged and forged[-1].count('"') == 4
          and '"X\\x22\\u009b]0; /healthz?from=log-\\x22q\\x22\\u009b HTTP/1.1" 405 ' in forged[-1]
          and '"fake\\x22 200 - \\x22x\\u009b\\xff"' in forged[-1],
          f"the method, target and agent are escaped, quotes included: {forged}")


def gets_on_one_connection(s, paths, errors, timeout=10):
    """GETs each path in turn on one kept-alive connection; a status other than 200 or a socket
    error goes to errors. True when every request was answered."""
    try:
        cn = s.conn(timeout=timeout)
        for path in paths:
            cn.request("GET", path)
            r = cn.getresponse()
            r.read()
            if r.status != 200:
                errors.append(r.status)
        cn.close()
        return True
    except OSError as e:
        errors.append(str(e))
        return False


def test_access_log_stderr():
    """The default log: standard error, one whole escaped line per request, even under concurrency."""
    s = Server("--access-log", "-")
    try:
        raw_ua = b"evil\xc2\x9b31m\\"  # CSI as a C1 control: h2o refuses C0 bytes in a header itself
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        c.sendall(b"GET /search?q=%1b HTTP/1.1\r\nHost: x\r\nUser-Agent: " + raw_ua + b"\r\nConnection: close\r\n\r\n")
        while c.recv(65536):
            pass
        c.close()
        errors = []

        def client(k):
            gets_on_one_connection(s, [f"/ports/{k * 100 + i}?from=stderr-test" for i in range(40)], errors)
        threads = [threading.Thread(target=client, args=(k,)) for k in range(5)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        rc = s.stop()
    err = s.p.stderr.read()
    lines = err.decode("utf-8", "replace").splitlines()
    ours = [ln for ln in lines if "from=stderr-test" in ln]
    pattern = re.compile(r'^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
                         r'"GET /ports/\d+\?from=stderr-test HTTP/1\.1" 200 [1-9]\d{3,} "[^"]*" \d+\.\d{3}ms$')
    check(rc == 0 and not errors, f"200 requests from 5 clients answered with the log on stderr ({errors[:3]})")
    check(len(ours) == 200 and all(pattern.match(ln) for ln in ours),
          f"one whole line per request on standard error ({len(ours)} lines, e.g. {ours[:1]})")
    check(b"\xc2\x9b" not in err and any('"evil\\u009b31m\\\\" ' in ln for ln in lines),
          f"the user agent is escaped for the terminal ({[ln for ln in lines if 'evil' in ln]})")


def test_access_log_backpressure():
    """A log that nobody reads for a while (a stalled pipe): the server waits for it and loses no
    line; a log whose reader is gone (EPIPE): the lines are lost, the requests are not."""
    s = Server("--access-log", "-")
    pad = "x" * 1000  # ~1.1 KB lines: 600 of them are far more than the pipe and both buffers hold
    n_clients, per_client = 4, 150
    errors, done = [], []

    def client(k):
        if gets_on_one_connection(s, [f"/ports/625?from=bp-test&pad={pad}"] * per_client, errors, timeout=30):
            done.append(k)
    chunks = []

    def reader():
        while True:
            ch = os.read(s.p.stderr.fileno(), 65536)
            if not ch:
                break
            chunks.append(ch)
    try:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(n_clients)]
        for th in threads:
            th.start()
        time.sleep(1.5)
        stalled = len(done) < n_clients
        rd = threading.Thread(target=reader)
        rd.start()
        for th in threads:
            th.join()
    finally:
        rc = s.stop()
    rd.join(timeout=10)
    lines = b"".join(chunks).decode("utf-8", "replace").splitlines()
    ours = [ln for ln in lines if "from=bp-test" in ln]
    whole = re.compile(r'^127\.0\.0\.1 - - \[[^]]+\] "GET /ports/625\?from=bp-test&pad=x{1000} HTTP/1\.1" 200 \d+ '
                       r'"[^"]*" \d+\.\d{3}ms$')
    check(stalled, "with nobody reading its log, the server waits for it (the requests stall)")
    check(rc == 0 and not errors, f"every request answered once the log is read again ({errors[:3]})")
    check(len(ours) == n_clients * per_client and all(whole.match(ln) for ln in ours),
          f"no line lost, none cut: {len(ours)} whole lines of {n_clients * per_client}")

    s = Server("--access-log", "-")
    try:
        s.p.stderr.close()  # the reader is gone: each write fails with EPIPE
        codes = [s.get("/ports/22?from=epipe")[0] for _ in range(30)]
        check(codes == [200] * 30 and s.p.poll() is None, f"a log nobody can read costs no request ({set(codes)})")
    finally:
        rc = s.stop()
    check(rc == 0, f"and the server still stops cleanly ({rc})")


def test_cli():
    p = subprocess.run([SERVE, "--help"], capture_output=True, env=pstest.ENV)
    check(p.returncode == 0 and b"Usage: portscope serve" in p.stdout and b"--listen" in p.stdout,
          "--help teaches")
    p = subprocess.run([SERVE, "serve", "--listen", "nonsense", "--registry", CSV], capture_output=True,
                       env=pstest.ENV, timeout=30)
    check(p.returncode == 2 and p.stderr.startswith(b"portscope: ") and b"nonsense" in p.stderr,
          f"a bad --listen is exit 2 with a reason ({p.stderr!r})")
    p = subprocess.run([SERVE, "serve", "--threads", "0"], capture_output=True, env=pstest.ENV, timeout=30)
    check(p.returncode == 2, "a bad --threads is exit 2")
    s = Server()
    try:
        p = subprocess.run([SERVE, "serve", "--listen", f"127.0.0.1:{s.port}", "--registry", CSV, "--no-feedback"],
                           capture_output=True, env=pstest.ENV, timeout=30)
        check(p.returncode == 2 and b"cannot listen" in p.stderr, f"a busy port is exit 2 ({p.stderr!r})")
        # The system's own words (strerror) are not taken from the pages' languages: serve lists
        # them all in LANGUAGE, and glibc has a French catalogue on many systems.
        e = dict(pstest.ENV, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        e.pop("LANGUAGE", None)
        p = subprocess.run([SERVE, "serve", "--listen", f"127.0.0.1:{s.port}", "--registry", CSV, "--no-feedback"],
                           capture_output=True, env=e, timeout=30)
        check(p.returncode == 2 and b"Address already in use" in p.stderr,
              f"a system error is in the user's language, not a page's ({p.stderr!r})")
    finally:
        s.stop()
    if os.path.exists(pstest.BIN):
        rc, out, err = pstest.run("serve", "--help")
        check(rc == 0 and "Usage: portscope serve" in out, f"`portscope serve` execs portscope-serve ({err.strip()})")


def test_show_local():
    # A listener whose process name is markup.
    link = os.path.join(TMP, "<script>x")
    os.symlink(os.path.realpath(sys.executable), link)
    # It also holds an SO_REUSEPORT group of 3 sockets on another port: one row, 3 sockets.
    code = ("import socket,sys,time; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); "
            "g=[socket.socket() for _ in range(3)]\n"
            "for x in g: x.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)\n"
            "g[0].bind(('127.0.0.1',0)); gp=g[0].getsockname()[1]\n"
            "for x in g[1:]: x.bind(('127.0.0.1',gp))\n"
            "for x in g: x.listen()\n"
            "print(s.getsockname()[1], gp, flush=True); time.sleep(60)")
    lp = subprocess.Popen([link, "-c", code], stdout=subprocess.PIPE)
    try:
        lport, gport = map(int, lp.stdout.readline().split())
        s = Server("--show-local")
        try:
            st, h, body = s.get("/api/v1/listeners")
            check(st == 200 and h.get("content-type") == "application/json", f"--show-local serves /api/v1/listeners ({st})")
            check(h.get("cache-control") == "no-store", "listeners are never cached")
            obj = json.loads(body)
            mine = [e for e in obj.get("listeners", []) if e.get("port") == s.port and e.get("protocol") == "tcp"]
            check(mine and mine[0]["address"] == "127.0.0.1" and mine[0]["process"] == "portscope-serve",
                  f"the server sees itself listening ({mine})")
            theirs = [e for e in obj.get("listeners", []) if e.get("port") == lport]
            names = [p.get("process") for e in theirs for p in e.get("owners", [])]
            check("<script>x" in names and theirs[0].get("process") == "<script>x",
                  f"a hostile process name is reported ({names})")
            check(all(e.get("verdict") and e.get("severity") and "reason" in e for e in obj["listeners"]),
                  "each listener carries its verdict, severity and reason")
            check(isinstance(obj.get("registry"), dict), "and the registry it was judged by")
            group = [(e.get("pid"), e.get("sockets")) for e in obj["listeners"] if e.get("port") == gport]
            check(group == [(lp.pid, 3)] and [e.get("sockets") for e in theirs] == [1],
                  f"one program's SO_REUSEPORT group is one listener with sockets: 3, as `listening --json` says "
                  f"({group}, {lp.pid})")
            check(len(mine) == 1, f"so are the server's own sockets, one per thread: one row ({mine[:1]})")
            if os.path.exists(pstest.BIN):
                # The same vocabulary as `portscope listening --json`: the audit library's own JSON.
                rc, out, err = pstest.run("listening", "--json", "--registry", CSV)
                if rc in (0, 1):
                    cli = json.loads(out)
                    check(set(obj) == set(cli) - {"elapsed_ms"},
                          f"the same members as `portscope listening --json` ({sorted(set(obj) ^ set(cli))})")
                    ck = set(cli["listeners"][0]) if cli.get("listeners") else set()
                    check(ck and all(set(e) == ck for e in obj["listeners"]),
                          "every listener has the fields of `portscope listening --json`")
                    cown = [set(p) for e in cli["listeners"] for p in e.get("owners", [])]
                    aown = [set(p) for e in obj["listeners"] for p in e.get("owners", [])]
                    check(cown and aown and aown[0] == cown[0], "and so has every owner")
            check(b"<script>" not in body and b"\\u003cscript\\u003ex" in body, "and escaped in the JSON bytes")
            st, h, body = s.get("/api/v1/listeners", headers={"Host": "attacker.example:%d" % s.port})
            check(st == 421 and b"<script>" not in body, f"a foreign Host name (DNS rebinding) gets no listeners ({st})")
            st, h, body = s.get("/api/v1/listeners", headers={"Host": "localhost:%d" % s.port})
            check(st == 200, "Host: localhost is fine")
            # An absolute-form target's authority replaces Host (RFC 9112, section 3.2.2).
            target = b"http://attacker.example:%d/api/v1/listeners" % s.port
            st, _, body = raw_response(s, target, b"Host: 127.0.0.1:%d\r\n" % s.port)
            check(st == 421 and b"<script>" not in body, f"a foreign name in the target beside a local Host: 421 ({st})")
            target = b"http://127.0.0.1:%d/api/v1/listeners" % s.port
            st, _, body = raw_response(s, target, b"Host: attacker.example\r\n")
            check(st == 200 and b'"listeners"' in body, f"this machine's address in the target, whatever Host says ({st})")
            for bad in ("127.0.0.1:%d@evil.example" % s.port, "localhost:evil", "[::1]x", "127.0.0.1:123456",
                        "127.0.0.1:99999", "[::1]:65536", "localhost:70000"):
                st, h, body = s.get("/api/v1/listeners", headers={"Host": bad})
                check(st == 421, f"a malformed Host ({bad}) gets no listeners ({st})")
            # Another site's page that fetch()es the listeners: its browser sends its Origin.
            st, h, body = s.get("/api/v1/listeners", headers={"Origin": "https://evil.example"})
            check(st == 403 and b'"listeners"' not in body, f"another site's page gets no listeners ({st})")
            st, h, body = s.get("/api/v1/listeners", headers={"Origin": "http://127.0.0.1:%d" % s.port})
            check(st == 200 and "access-control-allow-origin" not in h,
                  f"this site's own page gets them, with no CORS header for other sites ({st}, {h})")
            st, h, body = s.get("/api/v1/ports/22", headers={"Origin": "https://evil.example"})
            check(st == 200 and h.get("access-control-allow-origin") == "*", "the public API stays open to every page")
            st, h, body = s.get("/map?local=1", headers={"Host": "attacker.example"})
            check(st == 200 and b"Listening on this machine" not in body, "nor the listener table for a foreign Host")
            st, h, body = s.get("/map.png?local=1")
            check(st == 200 and body.startswith(b"\x89PNG") and h.get("cache-control") == "no-store",
                  "the map overlay of local listeners")
            st, h, body = s.get("/map?local=1")
            check(st == 200 and b"/map.png?local=1" in body and b"listening here" in body, "the map page offers it")
            for q in ("nolocal=1", "proto=udp&xlocal=1"):
                st_q, _, body_q = s.get("/map?" + q)
                check(st_q == 200 and b"Show what listens on this machine" in body_q and b"Hide what listens" not in body_q,
                      f"/map?{q} is the plain map: the parameter is local, not any text ending so")
            check(b"<script>x" not in body and b"<code>&lt;script&gt;x</code>" in body,
                  "the listener table shows the hostile process name escaped")
            check(f'<a href="/ports/{lport}">'.encode() in body, "and links the port")
            check(body.count(f'<a href="/ports/{gport}">'.encode()) == 1
                  and f'<a href="/ports/{gport}">{gport}</a> &#215;3<'.encode() in body,
                  "the SO_REUSEPORT group is one row of the table, with its 3 sockets")
            check(b"<th scope=\"col\">Verdict</th>" in body and re.search(rb'class="v-(expected|info|unexplained|mismatch|suspicious)"', body),
                  "the listener table carries the verdict engine's verdicts, as `listening` does")
        finally:
            s.stop()
    finally:
        lp.kill()
        lp.wait()
    s = Server()
    try:
        st, _, body = s.get("/map.png?local=1")
        st2, _, body2 = s.get("/map.png")
        check(st == 200 and body == body2, "without --show-local the overlay is not drawn")
    finally:
        s.stop()


def test_connection_limits():
    s = Server("--max-per-ip", "5", "--idle-timeout", "5")
    try:
        held = [socket.create_connection(("127.0.0.1", s.port), timeout=3) for _ in range(5)]
        time.sleep(0.3)
        extra = socket.create_connection(("127.0.0.1", s.port), timeout=3)
        try:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            got = extra.recv(100)
        except OSError:
            got = b""
        extra.close()
        check(got == b"", f"a sixth connection from one address is refused with --max-per-ip 5 ({got[:30]!r})")
        for c in held:
            c.close()
        # the server notices the closes when its loop next runs: ask until it has, for 5 s at most
        st, end = None, time.time() + 5
        while st != 200 and time.time() < end:
            time.sleep(0.1)
            try:
                st, _, _ = s.get("/healthz")
            except OSError:
                st = None
        check(st == 200, "once they close, the address is served again")
        # A head that never ends: h2o would read 408 KiB of it before refusing, and hold it until
        # the idle timeout (5 s here); the loop cuts a connection holding more than any answerable
        # request needs (INPUT_MAX) at its next look.
        c = socket.create_connection(("127.0.0.1", s.port), timeout=8)
        t0 = time.monotonic()
        try:
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * (120 << 10))
            ended = c.recv(100) == b""
        except OSError:
            ended = True
        took = time.monotonic() - t0
        c.close()
        check(ended and took < 2.5, f"120 KB of a head that does not end is cut at once ({took:.1f} s)")
    finally:
        s.stop()


def test_ipv6():
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        print("note: no IPv6 loopback, IPv6 listen not tested")
        return
    p = subprocess.Popen([SERVE, "serve", "--listen", "[::1]:0", "--registry", CSV, "--no-feedback", "--no-access-log"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=pstest.ENV)
    try:
        line = p.stdout.readline().decode()
        check("http://[::1]:" in line, f"--listen [::1]:0 ({line.strip()})")
        port = int(line.split("]:")[1].split("/")[0])
        c = http.client.HTTPConnection("::1", port, timeout=5)
        c.request("GET", "/api/v1/ports/22")
        r = c.getresponse()
        check(r.status == 200 and json.loads(r.read())["port"] == 22, "the API over IPv6")
        c.close()
    finally:
        p.send_signal(signal.SIGTERM)
        check(p.wait(timeout=10) == 0, "IPv6 server exits 0")


def test_feedback_not_loopback():
    """Listening on another address than loopback (its own namespace, 198.18.0.0/15), any Host
    may vote: the server is meant for other machines, under names its operator chose."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        print("skipped: a vote on a non-loopback address (needs root and ip(8) for a network namespace)")
        return
    ns = f"psserve{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", ns], stderr=subprocess.DEVNULL).returncode != 0:
        print("skipped: a vote on a non-loopback address (ip netns add failed)")
        return
    p = None
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "-n", ns, "addr", "add", "198.18.77.1/32", "dev", "lo"], check=True)
        db = os.path.join(TMP, "fb-netns.db")
        p = subprocess.Popen(["ip", "netns", "exec", ns, SERVE, "serve", "--listen", "198.18.77.1:0", "--registry", CSV,
                              "--db", db, "--no-access-log"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=pstest.ENV)
        line = p.stdout.readline().decode()
        check("http://198.18.77.1:" in line, f"--listen 198.18.77.1:0 in a namespace ({line.strip()})")
        port = int(line.split("198.18.77.1:")[1].split("/")[0])
        code = ("import http.client,sys\n"
                "c=http.client.HTTPConnection('198.18.77.1',%d,timeout=5)\n"
                "c.request('POST','/feedback',body='page=%%2Fports%%2F22&helpful=yes',headers={"
                "'Content-Type':'application/x-www-form-urlencoded','Host':'ports.example:%d',"
                "'Origin':'http://ports.example:%d'})\n"
                "print(c.getresponse().status)\n") % (port, port, port)
        out = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", code], capture_output=True, timeout=20)
        check(out.stdout.strip() == b"303", f"a vote under the operator's name is taken ({out.stdout!r} {out.stderr[-200:]!r})")
    finally:
        if p:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def test_shutdown():
    s = Server()
    # A request in flight (headers still coming) when SIGTERM arrives.
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    c.sendall(b"GET /ports/22 HTTP/1.1\r\nHost: x\r\n")
    time.sleep(0.2)
    t0 = time.monotonic()
    s.p.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    try:
        c.sendall(b"\r\n")
        data = c.recv(65536)
    except OSError:
        data = b""
    c.close()
    rc = s.stop(timeout=10)
    took = time.monotonic() - t0
    check(rc == 0, f"SIGTERM: exit 0 ({rc})")
    check(took < 7, f"SIGTERM: stopped within the grace period ({took:.1f} s)")
    check(data.startswith(b"HTTP/1.1 200"), f"the request in flight was answered ({data[:40]!r})")
    try:
        socket.create_connection(("127.0.0.1", s.port), timeout=2).close()
        check(False, "no longer listening after SIGTERM")
    except OSError:
        check(True, "no longer listening after SIGTERM")
    err = s.p.stderr.read().decode()
    check("SIGTERM" in err, "it says why it stops")


LANGS = {"en": "ltr", "he": "rtl", "ar": "rtl", "fr": "ltr", "de": "ltr", "es": "ltr"}
HEBREW = re.compile("[\u0590-\u05ff]")


def test_languages(s):
    """Every page in every language: /xx/ prefixes, Accept-Language on plain paths, hreflang, the switcher."""
    pages = ["/ports/625", "/", "/map", "/map?proto=udp", "/search?q=ssh", "/ranges", "/stats", "/services/ssh"]
    for code, d in LANGS.items():
        for p in pages:
            path = "/" + code + (p if p != "/" else "/")
            st, h, body = s.get(path)
            html = body.decode()
            check(st == 200 and f'<html lang="{code}" dir="{d}">' in html, f"{path}: 200 with lang={code} dir={d} ({st})")
            check("accept-language" not in h.get("vary", "").lower(), f"{path} does not vary with Accept-Language")
            links = re.findall(r'<a href="(/[^"]*)"', html)
            own = [l for l in links if not l.startswith("/api/") and not l.startswith("/map.png")]
            check(own and all(l.startswith("/" + code + "/") or l == "/" + code for l in own),
                  f"{path}: its links keep the prefix ({[l for l in own if not l.startswith('/' + code)][:3]})")
    st, h, body = s.get("/he/ports/625")
    html = body.decode()
    for code in LANGS:
        check(f'<link rel="alternate" hreflang="{code}" href="/{code}/ports/625">' in html, f"hreflang {code}")
    check('<link rel="alternate" hreflang="x-default" href="/ports/625">' in html, "hreflang x-default")
    nav = re.search(r'<nav class="langs" aria-label="[^"]+"><ul>(.*?)</ul></nav>', html)
    check(nav is not None, "a language switcher with a name")
    if nav:
        check('hreflang="he" lang="he" dir="rtl" href="/he/ports/625" aria-current="true">עברית</a>' in nav.group(1),
              "the switcher names Hebrew in Hebrew, marked current")
        check(nav.group(1).count("aria-current") == 1 and ">العربية</a>" in nav.group(1)
              and ">English</a>" in nav.group(1), "every language in its own name, one current")
    # Registry text keeps its language, numbers and commands stay left to right.
    check('<dd lang="en" dir="ltr">DEC DLM' in html, "registry text is marked lang=en dir=ltr on an rtl page")
    check('<pre dir="ltr"><code>' in html and "<bdi>625</bdi>" in html, "commands and port numbers are ltr")
    _, _, ar22 = s.get("/ar/ports/22")
    check('<code dir="ltr">sshd</code>، <code' in ar22.decode(),
          "an Arabic page lists the servers of a service with the Arabic comma")
    _, _, fr = s.get("/fr/ports/625")
    _, _, en = s.get("/ports/625")
    check('<dd lang="en">DEC DLM' in fr.decode() and '<dd>DEC DLM' in en.decode()
          and '<td lang="en">' not in en.decode(),
          "registry text is marked lang=en on a French page, and not again on an English one")
    check('action="/he/search"' in html and 'action="/he/feedback"' in html, "forms keep the prefix")
    # The map's script reads its words from the page.
    st, h, body = s.get("/ar/map")
    html = body.decode()
    check('data-base="/ar"' in html and 'data-port="' in html and 'data-rgb="1f5fa8"' in html,
          "/ar/map: the script's prefix, words and class names are in the page")
    check(http_page_script_has_no_words(html), "the map script holds no English sentence")
    # Plain paths: Accept-Language chooses, and says so.
    for al, code in [("he", "he"), ("he-IL,he;q=0.9,en;q=0.5", "he"), ("ar;q=0.8, fr", "fr"),
                     ("xx, *;q=0.1", "en"), ("", "en")]:
        st, h, body = s.get("/ports/625", headers={"Accept-Language": al} if al else {})
        html = body.decode()
        check(st == 200 and f'<html lang="{code}" dir="{LANGS[code]}">' in html,
              f"Accept-Language {al!r} on /ports/625 gives {code}")
        check("accept-language" in h.get("vary", "").lower(), f"Accept-Language {al!r}: Vary names it")
        check('href="/ports/624"' in html, f"Accept-Language {al!r}: links stay plain")
    st, h, _ = s.get("/ports/625", headers={"Accept-Language": "he", "Accept-Encoding": "gzip"})
    check(h.get("content-encoding") == "gzip" and h.get("vary") == "Accept-Encoding, Accept-Language",
          f"gzip and language in one Vary ({h.get('vary')})")
    st, h, body = s.get("/he/no-such-page")
    check(st == 404 and '<html lang="he" dir="rtl">' in body.decode(), "/he/ 404 page is in Hebrew, rtl")
    check('rel="alternate"' not in body.decode() and 'href="/fr">Français</a>' in body.decode(),
          "a 404 names no alternates; its switcher leads to each language's start page")
    # Unknown prefixes are paths; the API, the image and /metrics have no language.
    for p in ["/xx/ports/625", "/he-IL/ports/625", "/he/api/v1/ports/625", "/he/map.png", "/he/metrics",
              "/he/healthz", "/hebrew/ports/625"]:
        st, _, _ = s.get(p)
        check(st == 404, f"{p} is 404 ({st})")
    # A query after the prefix is the start page's, ignored as on "/?x=1" (a link tagged ?utm_...).
    for p in ["/he?x=1", "/fr?utm_source=x", "/de?"]:
        st, _, body = s.get(p)
        check(st == 200 and f'<html lang="{p[1:3]}"'.encode() in body, f"{p} is the start page in its language ({st})")
    # A page's own error is kept behind a prefix, in the language.
    st, _, body = s.get("/fr/ports/abc")
    check(st == 404 and "port inexistant" in body.decode(), f"/fr/ports/abc says why, in French ({st})")
    # Redirects keep the prefix.
    st, h, _ = s.get("/he/search?q=22")
    check(st == 303 and h.get("location") == "/he/ports/22", f"/he/search?q=22 redirects in Hebrew ({h.get('location')})")
    st, h, _ = s.get("/ar/map/click?10,4")
    check(st == 303 and h.get("location") == "/ar/ports/517", f"/ar/map/click keeps the prefix ({h.get('location')})")
    # The API: the same bytes whatever the language asked, errors included (documented in docs/json.md).
    for p in ["/api/v1/ports/625", "/api/v1/search?q=ssh", "/api/v1/ports/99999", "/api/v1/nothing"]:
        a = s.get(p)
        b = s.get(p, headers={"Accept-Language": "he"})
        check(a[0] == b[0] and a[2] == b[2] and "accept-language" not in b[1].get("vary", "").lower(),
              f"{p}: the API answers alike in every language")


def http_page_script_has_no_words(html):
    m = re.search(r"<script>(.*?)</script>", html, flags=re.S)
    if not m:
        return False
    js = m.group(1)
    return all(w not in js for w in ["Port ", "tap again", "unassigned", "listening here", "reserved"])


def test_languages_translated(s):
    """Needs the translators' catalogues: fails with English-only po/he.po and po/ar.po."""
    st, _, body = s.get("/he/ports/625")
    text = page_text(body.decode())
    check(len(HEBREW.findall(text)) > 200, "/he/ports/625 is written in Hebrew (needs po/he.po)")
    st, _, body = s.get("/ar/ports/625")
    check(len(re.findall("[\u0600-\u06ff]", page_text(body.decode()))) > 200,
          "/ar/ports/625 is written in Arabic (needs po/ar.po)")
    st, _, body = s.get("/ports/625", headers={"Accept-Language": "he"})
    check(HEBREW.search(page_text(body.decode())) is not None, "Accept-Language: he gives Hebrew text (needs po/he.po)")
    # A vote from a Hebrew page stays in Hebrew: the redirect keeps the prefix, the thanks are Hebrew.
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    st, h, _ = s.get("/he/feedback", method="POST", headers=form, body="page=%2Fports%2F625&vote=yes")
    loc = h.get("location", "")
    check(st == 303 and loc == "/he/feedback?page=%2Fports%2F625&voted=1", f"POST /he/feedback: 303 to {loc!r} ({st})")
    st, _, body = s.get(loc or "/he/feedback?page=%2Fports%2F625")
    html = body.decode()
    check(st == 200 and '<html lang="he" dir="rtl">' in html and HEBREW.search(page_text(html)) is not None
          and '<strong class="yes">1</strong>' in html, f"the thank-you page is Hebrew, right to left, and counts the vote ({st})")


def test_style(s):
    """One stylesheet for every page, versioned in its URL, allowed by the CSP and nothing else."""
    st, hd, body = s.get("/ports/625")
    page = body.decode()
    m = re.search(r'<link rel="stylesheet" href="(/style\.css\?v=[0-9a-f]{16})">', page)
    check(m is not None and "<style>" not in page, "the page links /style.css?v=HASH and inlines no style")
    csp = hd.get("content-security-policy", "")
    check("style-src 'self'" in csp, f"the CSP allows the site's own stylesheet only ({csp[:80]})")
    if m:
        st, hd2, css = s.get(m.group(1))
        check(st == 200 and hd2.get("content-type", "").startswith("text/css") and b"margin-inline" in css,
              f"{m.group(1)}: 200 text/css with the layout's logical properties ({st})")
    st, _, he = s.get("/he/ports/625")
    check(m is not None and m.group(1) in he.decode(), "every language links the same stylesheet (no /he/ prefix on it)")
    st, _, _ = s.get("/he/style.css")
    check(st == 404, f"/he/style.css is no page of a language: 404 ({st})")
    if m:
        test_style_one_copy(s, m.group(1))


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


# The one source of the stylesheet; the test below fails when another file holds it too.
STYLE_SOURCE = os.path.join("src", "serve", "page.c")


def style_copies(css):
    """The files of the source tree, other than STYLE_SOURCE, that hold a copy of the stylesheet
    css (served bytes): three or more of its rules, however spaced, split or quoted."""
    def squeeze(text):
        return re.sub(r'[\s"]+', "", text)
    rules = [r + "}" for r in squeeze(css).split("}") if len(r) >= 30]
    root = os.environ.get("PORTSCOPE_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
    found = []
    for top, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".git", "node_modules", "artifacts", "__pycache__")
                   and not d.startswith("build")]
        for name in files:
            path = os.path.join(top, name)
            rel = os.path.relpath(path, root)
            if rel == STYLE_SOURCE or os.path.getsize(path) > (4 << 20):
                continue
            with open(path, "rb") as f:
                text = squeeze(f.read().decode("latin-1"))
            if sum(r in text for r in rules) >= 3:
                found.append(rel)
    return rules, found


def test_style_one_copy(s, versioned):
    """One stylesheet: the same bytes under both URLs (one copy in the server), its version the
    hash of those bytes, and one source file that holds it."""
    for enc in ({}, {"Accept-Encoding": "gzip"}):
        st1, h1, plain = s.get("/style.css", headers=enc)
        st2, h2, vers = s.get(versioned, headers=enc)
        check(st1 == st2 == 200 and plain == vers and h1.get("etag") == h2.get("etag")
              and h1.get("content-encoding") == h2.get("content-encoding")
              and h1.get("cache-control") == "public, max-age=300"
              and h2.get("cache-control") == "public, max-age=31536000, immutable",
              f"/style.css and {versioned}: the same bytes and ETag{' (gzip)' if enc else ''}, "
              f"kept 5 minutes and a year ({h1.get('cache-control')}, {h2.get('cache-control')})")
    st, h, css = s.get("/style.css")
    check(versioned.endswith(f"{fnv1a(css):016x}") and h.get("etag") == f'"{fnv1a(css):016x}"',
          f"the version in the pages' link is the hash of the bytes served ({versioned}, {h.get('etag')})")
    rules, found = style_copies(css.decode())
    check(len(rules) >= 20 and not found,
          f"{STYLE_SOURCE} is the only file that holds the stylesheet ({len(rules)} rules; copies: {found})")


def main():
    test_cli()
    s = Server()
    try:
        test_basics(s)
        test_no_paths(s)
        test_api(s)
        test_response_cache(s)
        test_port_explained(s)
        test_languages(s)
        # The catalogues are complete (test_i18n_catalogues): the pages speak their languages.
        test_languages_translated(s)
        test_style(s)
        test_escaping(s)
        test_paths(s)
        test_absolute_form(s)
        test_not_modified_length(s)
        test_limits(s)
        test_concurrency(s)
        test_access_log(s)
    finally:
        rc = s.stop()
        check(rc == 0, f"server exits 0 on SIGTERM ({rc})")
    test_access_log_stderr()
    test_access_log_backpressure()
    test_map_wide()
    test_hostile_registry()
    test_feedback()
    test_feedback_not_loopback()
    test_slow_clients()
    test_slow_readers()
    test_show_local()
    test_connection_limits()
    test_ipv6()
    test_shutdown()
    finish()


if __name__ == "__main__":
    main()
