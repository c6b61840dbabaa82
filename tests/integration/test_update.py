#!/usr/bin/env python3
"""portscope update against a real HTTP server on 127.0.0.1: conditional downloads (ETag,
Last-Modified, 304, SHA-256), refusals that leave the stored copy alone (truncated body, 500,
renamed column, corrupted row, offline), the diff of the two IANA versions in the registry's own
terms, snapshots and each port's history in `info`, `update --check`."""
import http.server
import json
import os
import pty
import re
import select
import socket
import subprocess
import tempfile
import threading
from pstest import BIN, ENV, FIXTURES, SRC, check, finish, iana_csv, run, run_json, skip

# path -> {"body": bytes, "etag": str|None, "lm": str|None, "status": int, "length": int|None}
files = {}
requests = []  # (path, headers) of every GET


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        requests.append((self.path, dict(self.headers)))
        f = files.get(self.path)
        if f is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if f.get("status", 200) != 200:
            self.send_response(f["status"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if (f.get("etag") and inm == f["etag"]) or (not inm and f.get("lm") and ims == f["lm"]):
            self.send_response(304)
            self.send_header("ETag", f["etag"] or "")
            self.end_headers()
            return
        body = f["body"]
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        if f.get("etag"):
            self.send_header("ETag", f["etag"])
        if f.get("lm"):
            self.send_header("Last-Modified", f["lm"])
        if f.get("close"):
            # No length: the body ends where the connection does (cut short here).
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            return
        self.send_header("Content-Length", str(f.get("length") or len(body)))
        self.end_headers()
        self.wfile.write(body)
        if f.get("length"):
            self.close_connection = True  # promised more than it sends

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{srv.server_address[1]}"


def new_env():
    """A fresh XDG data directory: each part of the test starts with nothing installed."""
    home = tempfile.mkdtemp(prefix="portscope-update-")
    return {"XDG_DATA_HOME": os.path.join(home, "data"), "XDG_CACHE_HOME": os.path.join(home, "cache"),
            "PORTSCOPE_NMAP_SERVICES": ""}


def stored_of(env):
    return os.path.join(env["XDG_DATA_HOME"], "portscope", "service-names-port-numbers.csv")


def snapshots_of(env):
    d = os.path.join(env["XDG_DATA_HOME"], "portscope", "snapshots")
    return sorted(f for f in os.listdir(d) if f.endswith(".csv.gz")) if os.path.isdir(d) else []


def no_temp_files(env):
    bad = []
    for root, _, names in os.walk(os.path.join(env["XDG_DATA_HOME"], "portscope")):
        bad += [n for n in names if ".tmp" in n]
    return not bad


# ---- the small fixture: what every download must pass (no IANA data needed) ----
mini = open(os.path.join(FIXTURES, "mini.csv"), "rb").read()
files["/mini.csv"] = {"body": mini}
files["/garbage.csv"] = {"body": b"<html>not a csv</html>"}
files["/unterminated.csv"] = {"body": mini + b"\r\nx,1,tcp,\"unterminated"}
env = new_env()
stored = stored_of(env)

o = run_json("update", "--url", base + "/mini.csv", "--min-rows", "1", "--json", env=env)
check(o["stored"] == stored and open(stored, "rb").read() == mini, "update stores the downloaded CSV as it came")
check(o["rows"] == 13 and o["previous_date"] is None and o["status"] == "installed", f"update reports rows: {o['rows']}")
r = run_json("registry", "--json", env=env)
check(r["registry"]["source"] == stored, f"commands read the stored copy: {r['registry']['source']}")
rc, out, err = run("update", "--url", base + "/mini.csv", "--check", env=env)
check(rc == 0 and "unchanged" in out, f"--check, same bytes, no validators: current (exit 0): {rc} {out!r}")

for bad, why in [("/garbage.csv", "header"), ("/unterminated.csv", "nothing was changed"),
                 ("/missing.csv", "HTTP status 404"), ("/mini.csv", "only 13 rows, expected at least 10000")]:
    args = ["update", "--url", base + bad, "--no-listening"] + (["--min-rows", "1"] if bad != "/mini.csv" else [])
    # /mini.csv again would be "unchanged": remove the stored copy's state so it is judged anew.
    if bad == "/mini.csv":
        env2 = new_env()
        rc, out, err = run(*args, env=env2)
        check(rc == 2 and not os.path.exists(stored_of(env2)), f"the default --min-rows refuses 13 rows: {err!r}")
    else:
        rc, out, err = run(*args, env=env)
    check(rc == 2 and why in err and err.startswith("portscope: update:") and len(err.strip().splitlines()) == 1,
          f"bad download {bad}: one line naming why: {err!r}")
    check(open(stored, "rb").read() == mini, f"bad download {bad} leaves the stored copy alone")
    if bad == "/unterminated.csv":
        check(re.search(r":\d+:\d+: quoted field is never closed", err) is not None,
              f"a CSV error names its line and column, as every command's do: {err!r}")
rc, out, err = run("update", "--url", "ftp://127.0.0.1/x", env=env)
check(rc == 2 and open(stored, "rb").read() == mini, "non-HTTP URL refused")
rc, out, err = run("update", "--url", "http://127.0.0.1:1/x.csv", "--timeout", "5", env=env)
check(rc == 2 and "offline? cannot reach" in err and len(err.strip().splitlines()) == 1 and not out,
      f"offline: one line, exit 2: {err!r}")
check(open(stored, "rb").read() == mini and no_temp_files(env), "offline: nothing touched, no temporary files")
rc, out, err = run("update", "--from", "/nonexistent.csv", env=env)
check(rc == 2 and "/nonexistent.csv" in err, "missing --from file")
for bad_opt in (["--keep", "0"], ["--min-rows", "x"], ["--timeout", "0"], ["--limit", "-1"]):
    rc, out, err = run("update", *bad_opt, env=env)
    check(rc == 2 and err.startswith("portscope: update:") and len(err.strip().splitlines()) == 1,
          f"bad option {bad_opt}: {err!r}")
rc, out, err = run("diff", "/nonexistent.csv", os.path.join(FIXTURES, "mini.csv"))
check(rc == 2 and err.startswith("portscope: diff:") and "/nonexistent.csv" in err, f"diff of a missing file: {err!r}")
rc, out, err = run("diff", os.path.join(FIXTURES, "mini.csv"))
check(rc == 2 and "two registry files" in err, "diff needs two files")

old_path, new_path = iana_csv("2024-04"), iana_csv("2026-02")
if not (old_path and new_path):
    srv.shutdown()
    import pstest
    if pstest._failed:
        finish()
    skip("the IANA CSVs are absent (PORTSCOPE_TEST_IANA_DIR): the downloads and the diff of two versions were not checked")

old_body, new_body = open(old_path, "rb").read(), open(new_path, "rb").read()
LM1, LM2 = "Tue, 30 Apr 2024 10:00:00 GMT", "Wed, 25 Feb 2026 10:00:00 GMT"
files["/iana.csv"] = {"body": old_body, "etag": '"v2024"', "lm": LM1}
files["/nohelp.csv"] = {"body": old_body}
files["/truncated.csv"] = {"body": new_body[: len(new_body) // 2], "length": len(new_body)}
files["/cut.csv"] = {"body": new_body[: len(new_body) // 2], "close": True}
files["/error.csv"] = {"body": b"", "status": 500}
header, rest = new_body.split(b"\n", 1)
files["/renamed-unknown.csv"] = {"body": header.replace(b"Port Number", b"Port") + b"\n" + rest}
files["/renamed-known.csv"] = {"body": header.replace(b"Unauthorized Use Reported", b"Known Unauthorized Uses") + b"\n" + rest}
at = new_body.index(b"\nssh,22,tcp,")
bad_line = new_body[:at].count(b"\n") + 2
files["/corrupted.csv"] = {"body": new_body.replace(b"\nssh,22,tcp,", b"\nssh,22x,tcp,", 1)}

env = new_env()
stored = stored_of(env)
o = run_json("update", "--url", base + "/iana.csv", "--json", env=env)
check(o["status"] == "installed" and o["date"] == "2024-04-30" and o["rows"] == 14447 and o["previous_date"] is None,
      f"2024-04 installed: {o['status']} {o['date']} {o['rows']}")
check(open(stored, "rb").read() == old_body and len(snapshots_of(env)) == 1, "stored as it came, one snapshot kept")
mtime = os.stat(stored).st_mtime_ns

requests.clear()
rc, out, err = run("update", "--url", base + "/iana.csv", env=env)
h = requests[-1][1] if requests else {}
check(h.get("If-None-Match") == '"v2024"' and h.get("If-Modified-Since") == LM1,
      f"the second request is conditional (If-None-Match, If-Modified-Since): {h}")
check(rc == 0 and f"unchanged since {LM1}" in out and "304" in out and not err, f"304: 'unchanged since DATE': {out!r}")
check(os.stat(stored).st_mtime_ns == mtime, "304 touches nothing")
rc, out, err = run("update", "--check", "--url", base + "/iana.csv", env=env)
check(rc == 0 and "Current" in out, f"--check after 304: exit 0: {rc} {out!r}")
rc, out, err = run("update", "--url", base + "/nohelp.csv", env=env)
check(rc == 0 and "SHA-256" in out and os.stat(stored).st_mtime_ns == mtime,
      f"a server without validators: the SHA-256 says unchanged: {out!r}")

# Bad downloads, with the 2024-04 copy installed: each refused in one line, nothing changed.
for bad, why in [("/truncated.csv", "cut short"), ("/cut.csv", "nothing was changed"), ("/error.csv", "HTTP status 500"),
                 ("/renamed-unknown.csv", 'no column "Port Number"'), ("/corrupted.csv", f":{bad_line}: bad port")]:
    rc, out, err = run("update", "--url", base + bad, env=env)
    check(rc == 2 and why in err and "nothing was changed" in err and len(err.strip().splitlines()) == 1,
          f"{bad}: refused in one line naming why: {err!r}")
    check(open(stored, "rb").read() == old_body and len(snapshots_of(env)) == 1 and no_temp_files(env),
          f"{bad}: the registry, its snapshots and the directory are untouched")
    rc, out, err = run("update", "--check", "--url", base + bad, env=env)
    check(rc == 2, f"{bad}: --check says error (2), not 'newer': {rc}")

# A renamed column IANA really renamed once: accepted, stored with today's header.
env_k = new_env()
o = run_json("update", "--url", base + "/renamed-known.csv", "--json", env=env_k)
got = open(stored_of(env_k), "rb").read()
check(o["status"] == "installed" and o["rows"] == 14500 and got.split(b"\n", 1)[0] == header,
      "'Known Unauthorized Uses' is the old name of 'Unauthorized Use Reported': accepted, header made canonical")
rc, out, err = run("update", "--url", base + "/renamed-known.csv", env=env_k)
check(rc == 0 and "unchanged" in out, f"the same download again is unchanged, though stored rewritten: {out!r}")
r = run_json("info", "--json-object", "2", env=env_k)
check(r["protocols"]["tcp"]["status"] == "reserved", "the rewritten copy reads like the original")

# A newer registry on the server: --check says so (10) and installs nothing.
files["/iana.csv"] = {"body": new_body, "etag": '"v2026"', "lm": LM2}
rc, out, err = run("update", "--check", "--url", base + "/iana.csv", env=env)
check(rc == 10 and "newer registry is available" in out and "2026-02-25" in out, f"--check: exit 10: {rc} {out!r}")
check(open(stored, "rb").read() == old_body and len(snapshots_of(env)) == 1, "--check installs nothing")
rc, out, err = run("update", "--check", "--json", "--url", base + "/iana.csv", env=env)
check(rc == 10 and json.loads(out)["status"] == "available", "--check --json: status available")

# Something listening on a port whose status changed (11434/tcp: ollama, newly assigned in 2026).
lsock = socket.socket()
try:
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 11434))
    lsock.listen()
except OSError:
    lsock.close()
    lsock = None
o = run_json("update", "--url", base + "/iana.csv", "--json", env=env)
check(o["status"] == "installed" and o["previous_date"] == "2024-04-30" and o["date"] == "2026-02-25", "2026-02 installed")
d = o["diff"]
check(d["rows"] == {"added": 90, "removed": 37} and len(o["added"]) == 90 and len(o["removed"]) == 37,
      f"2024-04 -> 2026-02: {d['rows']} (shared/data/README.md says 90 added, 37 removed)")


def changes(diff, category, port):
    return [c for rg in diff["ranges"] for c in rg["changes"]
            if c["category"] == category and c["port_lo"] <= port <= c["port_hi"]]


c = changes(d, "deassigned", 2)
check(len(c) == 1 and c[0]["names"] == ["compressnet"] and c[0]["to"] == "reserved" and c[0]["protocols"] == ["tcp", "udp"],
      f"2/tcp and 2/udp: compressnet de-assigned, now reserved: {c}")
check(d["ranges"][0]["range"] == "system" and c[0] in d["ranges"][0]["changes"], "system ports come first")
c = changes(d, "assigned", 11434)
check(len(c) == 1 and c[0]["names"] == ["ollama"] and c[0]["protocols"] == ["tcp"], f"11434/tcp newly assigned: {c}")
c = changes(d, "renamed", 44322)
check(len(c) == 1 and c[0]["from"] == ["pmcdproxy"] and c[0]["to"] == ["pmproxy"], f"44322 renamed: {c}")
c = changes(d, "metadata", 25)
check(len(c) == 1 and c[0]["fields"]["reference"]["new"] == "[RFC-ietf-emailcore-rfc5321bis-43]", f"25 metadata: {c}")
check(d["counts"]["deassigned"]["pairs"] >= 4 and d["counts"]["unauthorized_use"]["pairs"] > 0, f"counts: {d['counts']}")
check(any(x["name"] == "compressnet" for x in d["names_only"]["added"]), "compressnet now a service name without a port")
if lsock:
    hit = [x for x in o["listening"] or [] if x["port"] == 11434 and x["protocol"] == "tcp"]
    check(len(hit) == 1 and hit[0]["change"]["category"] == "assigned",
          f"a listener on 11434/tcp, whose status changed, is named: {o.get('listening')} {o.get('listening_note')}")
    lsock.close()
else:
    print("note: 127.0.0.1:11434 was busy: the listener check was not exercised")
check(open(stored, "rb").read() == new_body and len(snapshots_of(env)) == 2, "stored, two snapshots kept")

# Each port's history in info.
rc, out, err = run("info", "2", env=env)
check(rc == 0 and "2/tcp,udp: compressnet (assigned) in 2024-04-30; reserved since 2026-02-25" in out,
      f"info 2 shows the history, protocols with the same one on one line: {[l for l in out.splitlines() if '2/' in l]}")
check("modified 2025-02-13" in out, "the registry's own modification date is in the history")
r = run_json("info", "--json-object", "2", env=env)
h = r["history"]
check(h["versions"] == ["2024-04-30", "2026-02-25"] and [c["protocol"] for c in h["changes"]] == ["tcp", "udp"]
      and h["changes"][0]["runs"][0]["names"] == ["compressnet"] and h["changes"][0]["runs"][1]["status"] == "reserved",
      f"info --json history: {h}")
rc, out, err = run("info", "22", env=env)
check("status and names unchanged in every version kept" in out, "a port that did not change says so")
check(run_json("info", "--json-object", "22", env=env)["history"]["changes"] == [], "... and has no changes in JSON")
check("history" not in run_json("info", "--json-object", "2"), "no snapshots: no history key")
# The versions kept are the installed copy's: a registry named with --registry (even one of those
# versions, as another file) has no history from them.
rc, out, err = run("info", "2/tcp", "--registry", old_path, env=env)
check(rc == 0 and "History" not in out and "history" not in run_json("info", "--json-object", "2", "--registry", old_path,
                                                                        env=env),
      f"--registry FILE: no history of the installed copy's versions ({[l for l in out.splitlines() if 'istory' in l]})")

# A third version (2/tcp assigned again, modified 2026-03-01): the runs read "from A to B".
third = new_body.replace(b'\n,2,tcp,Reserved,,,,2025-02-13,,,,"De-assigned on 2025-02-13, previously compressnet by [Bernie_Volz]"',
                         b"\nnewnet,2,tcp,New Network Service,[Someone],[Someone],2026-03-01,2026-03-01,,,,", 1)
check(third != new_body, "the third version differs from the second")
tmp3 = os.path.join(tempfile.mkdtemp(prefix="portscope-update-"), "third.csv")
open(tmp3, "wb").write(third)
o3 = run_json("update", "--from", tmp3, "--json", "--no-listening", env=env)
c = changes(o3["diff"], "assigned", 2)
check(o3["date"] == "2026-03-01" and len(c) == 1 and c[0]["names"] == ["newnet"] and c[0]["protocols"] == ["tcp"]
      and c[0]["from"] == "reserved", f"2/tcp newly assigned in the third version: {c}")
rc, out, err = run("info", "2/tcp", env=env)
check("2/tcp: compressnet (assigned) in 2024-04-30; reserved in 2026-02-25; newnet (assigned) since 2026-03-01" in out
      and "2/udp" not in out and "registered 2026-03-01, modified 2026-03-01" in out,
      f"three versions: {[l for l in out.splitlines() if '2/' in l or 'registered' in l]}")
rc, out, err = run("info", "2/udp", env=env)
check("2/udp: compressnet (assigned) in 2024-04-30; reserved from 2026-02-25 to 2026-03-01" not in out
      and "2/udp: compressnet (assigned) in 2024-04-30; reserved since 2026-02-25" in out,
      "2/udp unchanged in the third version: its run goes on")
# A name the registry no longer has: the ports kept versions gave it, shown as they are now.
rc, out, err = run("info", "pearldoc-xact", env=env)
check(rc == 0 and "'pearldoc-xact' is no longer in the registry" in err and "1980/tcp, 1980/udp until 2024-04-30" in err
      and "Port 1980" in out and "pearldoc-xact (assigned) in 2024-04-30" in out,
      f"info of a name de-assigned since: its former ports and their history ({rc}, {err!r})")
rc, out, err = run("info", "pearldoc-xact", "--registry", new_path, env=env)
check(rc == 2 and "nor a service name in the registry" in err,
      f"with --registry FILE the kept versions are not that file's: no history to look in ({rc}, {err!r})")
# A name that lost its ports (compressnet: a name without a port since 2025) says which it had.
rc, out, err = run("info", "compressnet", env=env)
check(rc == 0 and "a name without a port number" in out and "Before: the versions 'portscope update' kept gave it" in out
      and "/tcp" in out.split("Before:")[1].split("\n")[0], f"compressnet: the ports it had ({out[:400]!r})")
o = run_json("info", "compressnet", "--json", env=env)
check(any(x.get("former_ports") for x in o), f"--json: former_ports ({o})")
# The history speaks the reader's language, as the status above it does.
rc, out, err = run("info", "2/tcp", env={**env, "LANG": "fr_FR.UTF-8", "LANGUAGE": "fr"})
check("compressnet (attribué)" in out and "réservé" in out and "(assigned)" not in out,
      f"history in French: {[l for l in out.splitlines() if '2/tcp:' in l]}")
# --from - reads the CSV from standard input (curl ... | portscope update --from -).
env_s = new_env()
rc, out, err = run("update", "--from", "-", "--json", "--no-listening", env=env_s, input=third)
o = json.loads(out) if rc == 0 else {}
check(rc == 0 and o.get("source") == "-" and o.get("date") == "2026-03-01" and o.get("status") == "installed",
      f"--from - installs the CSV read from standard input ({rc}, {err.strip()!r})")
rc, out, err = run("update", "--from", "-", env=env_s, input=b"not,a,registry\n")
check(rc == 2 and err.startswith("portscope: update: standard input:") and len(err.strip().splitlines()) == 1,
      f"--from - with a bad CSV: one line naming standard input ({err!r})")
check(run_json("registry", "--json", env=env_s)["registry"]["date"] == "2026-03-01", "the bad CSV left the installed copy alone")
# Standard input that cannot be read (a directory; closed): one line naming it, nothing changed. Closed,
# the first file the program opened took descriptor 0 and was read as the CSV ("empty file").
before = open(stored_of(env_s), "rb").read()
for what, kw in (("a directory", {"stdin": os.open(SRC, os.O_RDONLY | os.O_DIRECTORY)}),
                 ("closed", {"stdin": subprocess.DEVNULL, "preexec_fn": lambda: os.close(0)})):
    p = subprocess.run([BIN, "update", "--from", "-", "--no-listening"], capture_output=True,
                       env={**ENV, **env_s}, timeout=60, **kw)
    if isinstance(kw["stdin"], int) and kw["stdin"] >= 0:
        os.close(kw["stdin"])
    err = p.stderr.decode("utf-8", "replace")
    want = "Is a directory" if what == "a directory" else "Bad file descriptor"
    check(p.returncode == 2 and err == f"portscope: update: standard input: {want} (nothing was changed)\n"
          and open(stored_of(env_s), "rb").read() == before and no_temp_files(env_s),
          f"--from - with standard input {what}: exit 2, one line, nothing changed ({p.returncode}, {err!r})")
# A column that is none of the twelve (IANA added one, or a tool did) is left out, and said so.
import csv as csvmod, io
rows = list(csvmod.reader(io.StringIO(open(os.path.join(FIXTURES, "mini.csv"), encoding="utf-8").read())))
buf = io.StringIO()
w = csvmod.writer(buf, lineterminator="\n")
for i, row in enumerate(rows):
    w.writerow(row[:3] + (["Comments\x1b[31m"] if i == 0 else ["note"]) + row[3:])
env_x = new_env()
rc, out, err = run("update", "--from", "-", "--min-rows", "1", "--no-listening", env=env_x, input=buf.getvalue().encode())
got = open(stored_of(env_x), "rb").read() if os.path.exists(stored_of(env_x)) else b""
check(rc == 0 and 'column 4 ("Comments' in err and "left out of the installed copy" in err and "\x1b" not in err
      and got.split(b"\n", 1)[0] == header and b"note" not in got,
      f"an unknown column: installed without it, with a warning naming it, escaped ({rc}, {err!r})")
# A damaged snapshot is left out of the history, named, and the others still tell theirs.
env_d = new_env()
for path in (old_path, new_path, tmp3):
    run_json("update", "--from", path, "--json", "--no-listening", env=env_d)
snap_dir = os.path.join(env_d["XDG_DATA_HOME"], "portscope", "snapshots")
umask = os.umask(0)
os.umask(umask)
check(os.stat(snap_dir).st_mode & 0o777 == 0o755 & ~umask,
      f"snapshots/ is readable by all, as the copy beside it (serve's DynamicUser reads its history): "
      f"{oct(os.stat(snap_dir).st_mode & 0o777)}")
damaged = [f for f in snapshots_of(env_d) if f.startswith("2024-04-30_")]
check(len(damaged) == 1, f"the 2024 snapshot is there: {snapshots_of(env_d)}")
with open(os.path.join(snap_dir, damaged[0]), "r+b") as f:
    f.truncate(1000)
fourth = third.replace(b"New Network Service,", b"New Network Service (renamed),", 1).replace(
    b"2026-03-01,2026-03-01", b"2026-03-01,2026-03-02", 1)
tmp4 = os.path.join(os.path.dirname(tmp3), "fourth.csv")
open(tmp4, "wb").write(fourth)
rc, out, err = run("update", "--from", tmp4, "--no-listening", env=env_d)
check(rc == 0 and damaged[0] in err and "damaged" in err and "delete it" in err and len(err.strip().splitlines()) == 1,
      f"a damaged snapshot: one warning naming it, and the update installed: {rc} {err!r}")
check("Registry the previously installed copy (newest date 2026-03-01" in out and f"→ {tmp4}" in out,
      f"the diff's old side is the copy installed before, not the file that now holds the new one: "
      f"{[l for l in out.splitlines() if 'Registry' in l or '→' in l][:2]}")
rc, out, err = run("info", "2/tcp", env=env_d)
check("History (3 registry versions kept" in out and "2/tcp: reserved in 2026-02-25; newnet (assigned) in 2026-03-01" in out,
      f"the other versions' history is still told: {[l for l in out.splitlines() if 'istory' in l or '2/tcp:' in l]}")

# Back to the 2026-02 copy: older than the third version, so refused without --force, and
# --check says it is not newer (exit 0, status "older"); nothing is touched.
before = open(stored, "rb").read()
rc, out, err = run("update", "--from", new_path, "--no-listening", env=env)
check(rc == 2 and "refusing" in err and "older than the installed copy's (2026-03-01)" in err and "--force" in err
      and len(err.strip().splitlines()) == 1 and open(stored, "rb").read() == before and no_temp_files(env),
      f"an older registry is refused, nothing touched: {rc} {err!r}")
rc, out, err = run("update", "--check", "--from", new_path, env=env)
check(rc == 0 and "Not newer" in out and "2026-03-01" in out, f"--check of an older copy: not newer, exit 0: {rc} {out!r}")
rc, out, err = run("update", "--check", "--json", "--from", new_path, env=env)
check(rc == 0 and json.loads(out)["status"] == "older", f"--check --json of an older copy: status older: {out!r}")
# A copy of the third version cut at a row boundary, with more than --min-rows rows and the same
# newest date: refused as cut short.
cut = os.path.join(os.path.dirname(tmp3), "cut.csv")
lines = third.split(b"\n")
keep = [l for l in lines[:-2000] if l] + [l for l in lines[-2000:] if b"2026-03-01" in l]
open(cut, "wb").write(b"\n".join(keep) + b"\n")
rc, out, err = run("update", "--from", cut, "--no-listening", env=env)
check(rc == 2 and "cut short?" in err and "refusing" in err and open(stored, "rb").read() == before,
      f"a registry a tenth smaller is refused: {rc} {err!r}")
rc, out, err = run("update", "--check", "--from", cut, env=env)
check(rc == 2 and "cut short?" in err, f"--check of a copy cut short: an error, not 'newer': {rc} {err!r}")
run_json("update", "--from", new_path, "--json", "--no-listening", "--force", env=env)
check(open(stored, "rb").read() == new_body, "--force installs the older copy")
rc, out, err = run("update", "--check", "--from", tmp3, env=env)
check(rc == 10 and "This copy is newer" in out and f"'portscope update --from {tmp3}' installs it" in out,
      f"--check --from FILE names the command that installs that file: {rc} {out!r}")

# Columns in another order: accepted, stored in the canonical order, the same registry.
import csv
import io
rows = list(csv.reader(io.StringIO(new_body.decode("utf-8"), newline="")))
order = [11, 3, 0, 2, 1, 4, 5, 6, 7, 8, 9, 10]
buf = io.StringIO(newline="")
w = csv.writer(buf, lineterminator="\n")
for row in rows:
    w.writerow([row[i] for i in order])
tmpr = os.path.join(os.path.dirname(tmp3), "reordered.csv")
open(tmpr, "w", encoding="utf-8", newline="").write(buf.getvalue())
env_r = new_env()
o = run_json("update", "--from", tmpr, "--json", env=env_r)
got = open(stored_of(env_r), "rb").read()
check(o["rows"] == 14500 and got.split(b"\n", 1)[0] == header, "columns in another order: stored in the canonical order")
j = run_json("diff", "--json", new_path, stored_of(env_r))
check(all(c["pairs"] == 0 for c in j["counts"].values()) and j["rows"] == {"added": 0, "removed": 0}
      and not any(j["names_only"].values()), "... and it is the same registry, field for field")

# Snapshots are deduplicated by hash and bounded by count.
run_json("update", "--from", old_path, "--json", "--no-listening", "--force", env=env)
check(len(snapshots_of(env)) == 3, f"the same versions again are kept once: {snapshots_of(env)}")
run_json("update", "--from", new_path, "--json", "--no-listening", "--keep", "1", env=env)
check(len(snapshots_of(env)) == 1 and snapshots_of(env)[0].startswith("2026-02-25_"),
      f"--keep 1 keeps the version installed only: {snapshots_of(env)}")
rc, out, err = run("info", "2", env=env)
check("History (1 registry version kept" in out and "status and names unchanged in every version kept" in out,
      "with one version kept, no change to tell")

# Progress on a terminal, nothing when piped.
env_p = new_env()
master, slave = pty.openpty()
p = subprocess.Popen([BIN, "update", "--url", base + "/iana.csv", "--no-listening"], stdout=subprocess.PIPE,
                     stderr=slave, env={**ENV, **env_p})
os.close(slave)
tty_out = b""
while True:
    ready, _, _ = select.select([master], [], [], 30)
    if not ready:
        break
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    tty_out += chunk
p.communicate(timeout=60)
os.close(master)
check(p.returncode == 0 and b"Downloaded 1.1 MB" in tty_out, f"progress on a terminal: {tty_out[-200:]!r}")
rc, out, err = run("update", "--url", base + "/nohelp.csv", "--no-listening", env=new_env())
check(rc == 0 and err == "", f"nothing on stderr when it is not a terminal: {err!r}")

# portscope diff: any two files, the same structure.
rc, out, err = run("diff", old_path, new_path)
check(rc == 0 and out.index("Newly assigned") < out.index("System ports (0-1023)") < out.index("User ports"),
      "diff: counts first, then system ports before user ports")
check("2-3/tcp,udp" in out and "compressnet de-assigned, now reserved" in out, "diff text: compressnet de-assigned")
table = out[out.index("counted in port/protocol pairs"):].splitlines()[1:]
table = table[:next(i for i, line in enumerate(table) if "Service names without a port" in line)]
check(len(table) == len(d["counts"]) and len({len(line) for line in table}) == 1,
      f"diff: the counts in one column, however long the longest title ({table})")
check("more changes not shown" not in out, "no silent cut")
rc, out2, err = run("diff", "--limit", "3", old_path, new_path)
check(rc == 0 and "more changes not shown (--limit 3" in out2 and len(out2) < len(out), "--limit says what it left out")
j = run_json("diff", "--json", old_path, new_path)
check(j["rows"] == d["rows"] and j["counts"] == d["counts"] and j["ranges"] == d["ranges"], "diff --json = update's diff")
j = run_json("diff", "--json", new_path, new_path)
check(all(c["pairs"] == 0 for c in j["counts"].values()) and j["rows"] == {"added": 0, "removed": 0}
      and not any(j["names_only"].values()), "a version against itself: no change (rdp has two rows without a port)")

# A first install has nothing to compare with, and says so (not "--no-listening", not given).
e_first = new_env()
mini_path = os.path.join(FIXTURES, "mini.csv")
o = run_json("update", "--from", mini_path, "--min-rows", "1", "--json", env=e_first)
check(o.get("listening_note") == "no previous copy to compare with", f"first install's listening_note: {o}")

# A date after today is a copy or a clock gone wrong: refused (--check too), and a copy installed
# with --force does not make the next real copy look older.
future = mini.replace(b",,,,2024-12-20,[RFC6335],,,", b",,,,3000-01-01,[RFC6335],,,", 1)
future_path = os.path.join(tempfile.mkdtemp(prefix="portscope-update-"), "future.csv")
open(future_path, "wb").write(future)
for extra in ([], ["--check"]):
    rc, out, err = run("update", "--from", future_path, "--min-rows", "1", "--no-listening", *extra, env=e_first)
    check(rc == 2 and "3000-01-01 is after today" in err and open(stored_of(e_first), "rb").read() == mini,
          f"a registry dated 3000-01-01 is refused{' by --check' if extra else ''}: {rc} {err!r}")
rc, out, err = run("update", "--from", future_path, "--min-rows", "1", "--no-listening", "--force", env=e_first)
check(rc == 0 and open(stored_of(e_first), "rb").read() == future, f"--force installs it: {rc} {err!r}")
rc, out, err = run("update", "--from", mini_path, "--min-rows", "1", "--no-listening", env=e_first)
check(rc == 0 and open(stored_of(e_first), "rb").read() == mini,
      f"the next copy is not refused as older than 3000-01-01: {rc} {err!r}")

# One update at a time: while another holds the data directory's lock, an update waits, then runs.
import fcntl  # noqa: E402
e_lock = new_env()
lock_path = os.path.join(e_lock["XDG_DATA_HOME"], "portscope", "update.lock")
os.makedirs(os.path.dirname(lock_path))
held = open(lock_path, "w")
fcntl.flock(held, fcntl.LOCK_EX)
p = subprocess.Popen([BIN, "update", "--from", mini_path, "--min-rows", "1", "--no-listening"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**ENV, **e_lock})
try:
    p.wait(timeout=1.5)
except subprocess.TimeoutExpired:
    pass
check(p.returncode is None and not os.path.exists(stored_of(e_lock)),
      f"an update waits while another holds the lock, having written nothing ({p.returncode})")
fcntl.flock(held, fcntl.LOCK_UN)
held.close()
out, err = p.communicate(timeout=30)
check(p.returncode == 0 and b"waiting for it" in err and open(stored_of(e_lock), "rb").read() == mini,
      f"then it runs: {p.returncode} {err!r}")

# White space alone is no change (a line break for a space, CR LF, a space at the end); a word is.
ws_dir = tempfile.mkdtemp(prefix="portscope-update-")
base_csv = mini.decode()
variants = {"ws": base_csv.replace("TCP Port Service Multiplexer", '"TCP Port\nService  Multiplexer "', 1),
            "word": base_csv.replace("TCP Port Service Multiplexer", "TCP Port Service Mux", 1)}
for name, text in variants.items():
    check(text != base_csv, f"the {name} variant differs")
    open(os.path.join(ws_dir, name + ".csv"), "w").write(text)
j = run_json("diff", "--json", mini_path, os.path.join(ws_dir, "ws.csv"))
check(j["counts"]["metadata"]["pairs"] == 0, f"a change of white space alone is not a metadata change: {j['counts']['metadata']}")
j = run_json("diff", "--json", mini_path, os.path.join(ws_dir, "word.csv"))
check(j["counts"]["metadata"]["pairs"] == 1, f"a changed word is: {j['counts']['metadata']}")

# A second service on a port is a service added, not a rename; a name for another is a rename.
co = base_csv.replace("tcpmux,1,tcp,TCP Port Service Multiplexer,[Mark_Lottor],[Mark_Lottor],,,,,,",
                      "tcpmux,1,tcp,TCP Port Service Multiplexer,[Mark_Lottor],[Mark_Lottor],,,,,,\n"
                      "tcpmux2,1,tcp,Another,[Someone],[Someone],2026-01-01,,,,,", 1)
check(co != base_csv, "the co-assigned variant differs")
open(os.path.join(ws_dir, "co.csv"), "w").write(co)
j = run_json("diff", "--json", mini_path, os.path.join(ws_dir, "co.csv"))
check(j["counts"]["services_added"]["pairs"] == 1 and j["counts"]["renamed"]["pairs"] == 0,
      f"a second service on 1/tcp is a service added: {j['counts']}")
j = run_json("diff", "--json", os.path.join(ws_dir, "co.csv"), mini_path)
check(j["counts"]["services_removed"]["pairs"] == 1 and j["counts"]["renamed"]["pairs"] == 0,
      f"and the other way, a service removed: {j['counts']}")
rc, out, err = run("diff", mini_path, os.path.join(ws_dir, "co.csv"))
check(rc == 0 and "Services added beside those that remain" in out and "tcpmux2" in out, f"diff text: {out[-300:]!r}")

# A row that repeats another column for column: a copy gone wrong, refused (update and diff).
lines = base_csv.splitlines(keepends=True)
dup = "".join(lines[:5] + [lines[3]] + lines[5:])
open(os.path.join(ws_dir, "dup.csv"), "w").write(dup)
e_dup = new_env()
rc, out, err = run("update", "--from", os.path.join(ws_dir, "dup.csv"), "--min-rows", "1", "--no-listening", env=e_dup)
check(rc == 2 and "dup.csv:6: this row repeats line 4" in err and not os.path.exists(stored_of(e_dup)),
      f"a repeated row is refused, naming both lines: {rc} {err!r}")
rc, out, err = run("diff", mini_path, os.path.join(ws_dir, "dup.csv"))
check(rc == 2 and "repeats line 4" in err, f"diff refuses it too: {rc} {err!r}")

# Shrinking in steps each under a tenth: refused against the largest version kept, not only the
# installed one (14,500 -> 13,060 -> 11,760 rows passed before).
import csv as _csv2  # noqa: E402
e_shr = new_env()
full = run_json("update", "--from", new_path, "--json", "--no-listening", env=e_shr)
recs = list(_csv2.reader(io.StringIO(new_body.decode("utf-8"), newline="")))
hdr, body = recs[0], recs[1:]
movable = [i for i, r in enumerate(body) if full["date"] not in r]  # the newest date stays


def shrunk(frac, name):
    drop = set(movable[:int(len(body) * frac)])
    out = io.StringIO()
    w = _csv2.writer(out, lineterminator="\r\n")
    w.writerow(hdr)
    w.writerows(r for i, r in enumerate(body) if i not in drop)
    path = os.path.join(ws_dir, name)
    open(path, "w", encoding="utf-8").write(out.getvalue())
    return path


step1, step2 = shrunk(0.06, "shrunk-6.csv"), shrunk(0.12, "shrunk-12.csv")
r1 = run_json("update", "--from", step1, "--json", "--no-listening", env=e_shr)
check(r1.get("status") == "installed", f"a copy 6 % smaller than the installed one is installed: {r1.get('status')}")
before = open(stored_of(e_shr), "rb").read()
rc, out, err = run("update", "--from", step2, "--no-listening", env=e_shr)
check(rc == 2 and f"a version installed before had {full['rows']}: cut short?" in err and "--force" in err
      and open(stored_of(e_shr), "rb").read() == before,
      f"a second step (12 % below the largest version kept, 6 % below the installed): refused: {rc} {err!r}")
rc, out, err = run("update", "--from", step2, "--no-listening", "--force", env=e_shr)
check(rc == 0, f"--force installs it anyway: {rc} {err!r}")

# The systemd units for weekly updates.
svc = open(os.path.join(SRC, "data", "systemd", "portscope-update.service")).read()
tmr = open(os.path.join(SRC, "data", "systemd", "portscope-update.timer")).read()
check("update" in svc and "NoNewPrivileges=yes" in svc and "OnCalendar=weekly" in tmr and "RandomizedDelaySec=" in tmr,
      "systemd service and timer: weekly, randomized, hardened")
srv.shutdown()
finish()
