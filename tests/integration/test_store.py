#!/usr/bin/env python3
"""The SQLite store that audit history, scan results and page feedback share: a fresh $HOME gets
its directory and file created (0700/0600, WAL, schema version recorded) by `scan --store` and
`audit --changes`; a store of a newer version and a read-only place are refused with one line."""
import os
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
import tempfile

from pstest import BIN, ENV, check, finish, iana_csv


def fresh_env(home):
    e = {k: v for k, v in ENV.items() if not k.startswith("XDG_")}
    e["HOME"] = home
    e["PORTSCOPE_NMAP_SERVICES"] = ""
    if iana_csv():
        e["PORTSCOPE_REGISTRY"] = iana_csv()
    return e


def run(env, *args, wrap=()):
    p = subprocess.run([*wrap, BIN, *args], capture_output=True, env=env, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def one_line_error(err):
    lines = err.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("portscope: ") and not re.search(r"portscope-(audit|scan|serve|update)", err)


home = tempfile.mkdtemp(prefix="ps-store-")
env = fresh_env(home)
db = os.path.join(home, ".local", "state", "portscope", "portscope.db")

# A listener on 127.0.0.1 for the scan to find.
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
port = srv.getsockname()[1]

rc, out, err = run(env, "scan", "--store", "--no-service", "--no-progress", "-p", str(port), "127.0.0.1")
check(rc in (0, 1) and os.path.exists(db), f"scan --store with a fresh HOME creates {db}: rc {rc}, {err.strip()!r}")
if os.path.exists(db):
    st_db, st_dir = os.stat(db), os.stat(os.path.dirname(db))
    check(stat.S_IMODE(st_db.st_mode) == 0o600 and stat.S_IMODE(st_dir.st_mode) == 0o700,
          f"the store is private: file {oct(st_db.st_mode)}, directory {oct(st_dir.st_mode)}")
    c = sqlite3.connect(db)
    check(c.execute("PRAGMA user_version").fetchone()[0] == 1, "the store records its schema version (1)")
    check(c.execute("PRAGMA journal_mode").fetchone()[0] == "wal", "the store is in WAL mode")
    rows = c.execute("SELECT port, state FROM scan_ports").fetchall()
    check((port, "open") in rows, f"scan --store recorded the open port {port}: {rows}")
    c.close()

rc, out, err = run(env, "audit", "--changes", "--json")
check(rc in (0, 1), f"audit --changes with the same HOME works: rc {rc}, {err.strip()!r}")
rc, out, err = run(env, "audit", "--changes", "--json")
c = sqlite3.connect(db)
check(c.execute("SELECT count(*) FROM audit_runs").fetchone()[0] == 2, "audit --changes recorded two runs")
check({"scan_runs", "audit_runs"} <= {r[0] for r in c.execute("SELECT name FROM sqlite_master")},
      "one file holds the tables of both components")

# A store written by a newer portscope is refused, not misread.
c.execute("PRAGMA user_version = 99")
c.commit()
c.close()
rc, out, err = run(env, "audit", "--changes")
check(rc == 2 and one_line_error(err) and "newer portscope" in err and db in err,
      f"a store of a newer version is refused in one line: rc {rc}, {err!r}")
rc, out, err = run(env, "scan", "--store", "--no-service", "--no-progress", "-p", str(port), "127.0.0.1")
check(rc == 2 and one_line_error(err) and "newer portscope" in err, f"scan refuses it too: rc {rc}, {err!r}")

# A run that fails on the store writes none of its other outputs: the store is opened and read before
# --prometheus and --write-baseline are written (they were written, then the run exited 2).
outdir = tempfile.mkdtemp(prefix="ps-outputs-")
prom, draft = os.path.join(outdir, "portscope.prom"), os.path.join(outdir, "draft.txt")
rc, out, err = run(env, "audit", "--changes", "--prometheus", prom, "--write-baseline", draft)
check(rc == 2 and one_line_error(err) and "newer portscope" in err and os.listdir(outdir) == [],
      f"audit --changes with a store it cannot use writes neither file: rc {rc}, {os.listdir(outdir)}, {err!r}")
with open(prom, "w") as f:
    f.write("# the previous run's metrics\n")
rc, out, err = run(env, "audit", "--changes", "--json", "--prometheus", prom)
check(rc == 2 and out == "" and open(prom).read() == "# the previous run's metrics\n"
      and sorted(os.listdir(outdir)) == ["portscope.prom"],
      f"an existing --prometheus file is left as it was, and no JSON is printed: rc {rc}, {out[:80]!r}")
os.unlink(prom)
# Without --changes the history is best effort: the outputs are written, the store's trouble said once.
rc, out, err = run(env, "audit", "--prometheus", prom, "--write-baseline", draft)
check(rc in (0, 1) and os.path.exists(prom) and os.path.exists(draft) and "newer portscope" in err,
      f"audit without --changes still writes its outputs: rc {rc}, {os.listdir(outdir)}, {err!r}")
for f in (prom, draft):
    os.unlink(f)
# A store that opens but cannot take the run (another writer holds it past the busy timeout):
# --changes fails with nothing written either.
home2 = tempfile.mkdtemp(prefix="ps-store-")
env2 = fresh_env(home2)
db2 = os.path.join(home2, ".local", "state", "portscope", "portscope.db")
rc, out, err = run(env2, "audit", "--changes", "--json")
check(rc in (0, 1) and os.path.exists(db2), f"a first audit --changes makes the store: rc {rc}, {err.strip()!r}")
lock = sqlite3.connect(db2, isolation_level=None)
lock.execute("BEGIN IMMEDIATE")
try:
    rc, out, err = run(env2, "audit", "--changes", "--prometheus", prom, "--write-baseline", draft)
finally:
    lock.execute("ROLLBACK")
    lock.close()
check(rc == 2 and one_line_error(err) and "locked" in err and os.listdir(outdir) == [],
      f"audit --changes with the store locked by another writer writes neither file: rc {rc}, {os.listdir(outdir)}, {err!r}")
shutil.rmtree(home2, ignore_errors=True)
shutil.rmtree(outdir, ignore_errors=True)
srv.close()

# A read-only place: a read-only tmpfs in a mount namespace as root (root ignores permissions),
# a directory without write permission otherwise.
ro = tempfile.mkdtemp(prefix="ps-ro-")
wrap = ()
if os.geteuid() == 0:
    wrap = ("unshare", "-m", "sh", "-c", 'mount -t tmpfs -o ro none "$0" && exec "$@"', ro)
else:
    os.chmod(ro, 0o555)
for args, what in [(("scan", "--store", "--no-service", "--no-progress", "-p", "1", "127.0.0.1"), "scan --store"),
                   (("audit", "--changes"), "audit --changes")]:
    rc, out, err = run(fresh_env(ro), *args, wrap=wrap)
    check(rc == 2 and one_line_error(err) and ro in err and ("Read-only" in err or "Permission denied" in err)
          and "unable to open database file" not in err,
          f"{what} in a read-only HOME: one clear line: rc {rc}, {err!r}")
    rc, out, err = run(dict(fresh_env(home), PORTSCOPE_DB=os.path.join(ro, "sub", "x.db")), *args, wrap=wrap)
    check(rc == 2 and one_line_error(err) and os.path.join(ro, "sub") in err,
          f"{what} with PORTSCOPE_DB in a read-only directory: rc {rc}, {err!r}")

os.chmod(ro, 0o755)
shutil.rmtree(ro, ignore_errors=True)
shutil.rmtree(home, ignore_errors=True)
finish()
