"""Tiny harness for portscope's integration tests: run the real binary, count checks.

Each test script calls check() for every assertion, and finish() at the end: exit 0 when all
passed, 1 when any failed, 77 (meson's SKIP) after printing "skipped: <reason>" via skip()."""
import atexit
import json
import os
import shutil
import select
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("PORTSCOPE_BIN") or os.path.join(os.environ.get("PORTSCOPE_BUILD", "build"), "portscope")
SERVE = os.environ.get("PORTSCOPE_SERVE_BIN") or os.path.join(os.environ.get("PORTSCOPE_BUILD", "build"),
                                                              "portscope-serve")
SRC = os.environ.get("PORTSCOPE_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
FIXTURES = os.path.join(SRC, "tests", "fixtures")
_failed = 0
_passed = 0

# What a test makes with tempfile goes in one directory of its own, removed when the test exits:
# runs left hundreds of directories in /tmp. 0755 as /tmp is, so that a user an unprivileged
# check runs as still reaches the directories made for it (each mkdtemp is 0700 itself).
_root = tempfile.mkdtemp(prefix="portscope-test-")
os.chmod(_root, 0o755)
tempfile.tempdir = _root
atexit.register(shutil.rmtree, _root, True)

# Every test gets its own XDG directories: no test reads a cache another one wrote.
_home = tempfile.mkdtemp(prefix="home-")
ENV = dict(os.environ)
for k in ("PORTSCOPE_REGISTRY", "PORTSCOPE_KNOWLEDGE", "PORTSCOPE_DB", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    ENV.pop(k, None)
ENV["LANG"] = "C.UTF-8"  # tests read English messages; test_i18n sets other languages itself
ENV.update(HOME=_home, XDG_CACHE_HOME=os.path.join(_home, "cache"), XDG_DATA_HOME=os.path.join(_home, "data"),
           XDG_STATE_HOME=os.path.join(_home, "state"), NO_COLOR="1")


def iana_csv(which="2026-02"):
    d = os.environ.get("PORTSCOPE_TEST_IANA_DIR")
    if not d:
        return None
    p = os.path.join(d, f"service-names-port-numbers.{which}.csv")
    return p if os.path.exists(p) else None


def start_serve(args, env):
    """Starts `portscope-serve serve ARGS` (with --listen 127.0.0.1:0 among them); returns the process
    and the URL it prints once it listens. Raises RuntimeError when it does not within 30 s."""
    p = subprocess.Popen([SERVE, "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    line = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and b"\n" not in line:
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            ch = os.read(p.stdout.fileno(), 256)
            if not ch:
                break
            line += ch
    text = line.decode()
    if "http://" not in text:
        err = p.stderr.read().decode() if p.poll() is not None else ""
        p.kill()
        p.wait()
        raise RuntimeError(f"server did not start: {text!r} {err!r}")
    return p, text.split("serving ")[1].split()[0].rstrip("/")


def skip(reason):
    print(f"skipped: {reason}")
    sys.exit(77)


def run(*args, env=None, input=None, timeout=60):
    e = dict(ENV)
    if env:
        e.update(env)
    p = subprocess.run([BIN, *args], capture_output=True, env=e, input=input, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def run_json(*args, **kw):
    rc, out, err = run(*args, **kw)
    if rc != 0:
        raise AssertionError(f"portscope {' '.join(args)} exited {rc}: {err.strip()}")
    return json.loads(out)


def check(cond, what):
    global _failed, _passed
    if cond:
        _passed += 1
    else:
        _failed += 1
        print(f"FAIL: {what}")
    return cond


def finish():
    print(f"{_passed} checks passed, {_failed} failed")
    sys.exit(1 if _failed else 0)
