#!/usr/bin/env python3
"""portscope update against a real HTTP server on 127.0.0.1: stores the CSV atomically, reports
what changed, refuses bad downloads without touching the stored copy; then every command reads
the stored copy by default."""
import http.server
import os
import threading
from pstest import ENV, FIXTURES, check, finish, iana_csv, run, run_json

files = {}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = files.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{srv.server_address[1]}"
mini = open(os.path.join(FIXTURES, "mini.csv"), "rb").read()
files["/mini.csv"] = mini
files["/garbage.csv"] = b"<html>not a csv</html>"
files["/truncated.csv"] = mini + b"\r\nx,1,tcp,\"unterminated"
stored = os.path.join(ENV["XDG_DATA_HOME"], "portscope", "service-names-port-numbers.csv")
env = {"PORTSCOPE_NMAP_SERVICES": ""}

o = run_json("update", "--url", base + "/mini.csv", "--json", env=env)
check(o["stored"] == stored and open(stored, "rb").read() == mini, "update stores the downloaded CSV")
check(o["rows"] == 13 and o["previous_date"] is None, f"update reports rows: {o['rows']}")
# Now the default registry is the stored copy.
r = run_json("registry", "--json", env=env)
check(r["registry"]["source"] == stored, f"commands read the stored copy: {r['registry']['source']}")

for bad, why in [("/garbage.csv", "header"), ("/truncated.csv", "nothing was changed"), ("/missing.csv", "HTTP status 404")]:
    rc, out, err = run("update", "--url", base + bad, env=env)
    check(rc == 2 and why in err and "portscope: update:" in err and len(err.strip().splitlines()) == 1,
          f"bad download {bad}: {err!r}")
    check(open(stored, "rb").read() == mini, f"bad download {bad} leaves the stored copy alone")
rc, out, err = run("update", "--url", "ftp://127.0.0.1/x", env=env)
check(rc == 2 and open(stored, "rb").read() == mini, "non-HTTP URL refused")
rc, out, err = run("update", "--url", "http://127.0.0.1:1/x.csv", "--timeout", "5", env=env)
check(rc == 2 and len(err.strip().splitlines()) == 1, f"connection refused: {err!r}")
check(not [f for f in os.listdir(os.path.dirname(stored)) if ".tmp." in f], "no temporary files left")
rc, out, err = run("update", "--from", "/nonexistent.csv", env=env)
check(rc == 2 and "/nonexistent.csv" in err, "missing --from file")

old, new = iana_csv("2024-04"), iana_csv("2026-02")
if old and new:
    run_json("update", "--from", old, "--json", env=env)
    o = run_json("update", "--from", new, "--json", env=env)
    check(o["previous_date"] == "2024-04-30" and o["date"] == "2026-02-25", "dates of both copies")
    check(len(o["added"]) == 90 and len(o["removed"]) == 37,
          f"2024-04 -> 2026-02: {len(o['added'])} added, {len(o['removed'])} removed (shared/data says 90 and 37)")
    check("- 2/tcp" in o["added"] and "compressnet 2/tcp" in o["removed"], "2/tcp compressnet became Reserved")
    rc, out, err = run("update", "--from", new, env=env)
    check(rc == 0 and "0 rows added, 0 removed" in out, "same copy again: nothing changed")
else:
    print("note: the IANA CSVs are absent; the 2024-04 -> 2026-02 difference was not checked")
srv.shutdown()
finish()
