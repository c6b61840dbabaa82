"""A port's history in `portscope serve`, end to end: two real registry versions (2024-04 and
2026-02 of the IANA CSV) installed with `portscope update --from`, which keeps them as snapshots
and writes the history index; then `portscope serve` on 127.0.0.1 with that data directory.

Checks that /ports/2 shows compressnet's de-registration on 2/tcp and 2/udp with the versions'
dates and the registry's own Modification date, that the API's port objects carry the same
"history" as `portscope info --json-object`, and what both say before any snapshot is kept."""
import html as htmllib
import http.client
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ.get("PORTSCOPE_SRC", os.path.join(os.path.dirname(__file__), "..", "..")),
                                "tests", "integration"))
import pstest  # noqa: E402
from pstest import check, finish, skip  # noqa: E402

SERVE = pstest.SERVE
UPDATE = os.path.join(os.path.dirname(pstest.BIN), "portscope-update")
OLD, NEW = pstest.iana_csv("2024-04"), pstest.iana_csv("2026-02")

for exe in (pstest.BIN, SERVE, UPDATE):
    if not os.path.exists(exe):
        skip(f"{exe} is not built")
if not OLD or not NEW:
    skip("the IANA CSVs of 2024-04 and 2026-02 are not available (PORTSCOPE_TEST_IANA_DIR)")

ENV = pstest.ENV  # its own HOME and XDG directories: no snapshot before this test makes some
SNAPSHOTS = os.path.join(ENV["XDG_DATA_HOME"], "portscope", "snapshots")


class Server:
    """portscope serve on 127.0.0.1, a free port, the registry and snapshots of ENV's data directory."""

    def __init__(self, env):
        self.p, url = pstest.start_serve(["--listen", "127.0.0.1:0", "--no-feedback", "--no-access-log",
                                          "--threads", "2"], env)
        self.port = int(url.rsplit(":", 1)[1])

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("GET", path)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def json(self, path):
        st, data = self.get(path)
        check(st == 200, f"{path} 200 ({st})")
        return json.loads(data)

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        return self.p.returncode


def empty_to_null(v):
    """The API's spelling of the CLI's JSON: an absent value is null, never ""."""
    if isinstance(v, dict):
        return {k: empty_to_null(x) for k, x in v.items()}
    if isinstance(v, list):
        return [empty_to_null(x) for x in v]
    return None if v == "" else v


def text(fragment):
    t = re.sub(r"<[^>]+>", " ", fragment)
    return re.sub(r"\s+", " ", htmllib.unescape(t)).strip()


def history_section(s, port):
    st, body = s.get(f"/ports/{port}")
    check(st == 200, f"/ports/{port} 200 ({st})")
    page = body.decode()
    m = re.search(r'<h2 id="history">(.*?)(?=<h2 )', page, re.S)
    check(m is not None, f"/ports/{port} has a History section")
    # Near the registry table: right after "In the registry", before the unofficial uses.
    check(m is not None and page.find('id="registry"') < m.start() < page.find('id="unofficial"'),
          f"/ports/{port}: History follows the registry table")
    return m.group(1) if m else ""


def table_rows(section, port, proto):
    """The rows (cells as text) of the history table of port/proto, or None."""
    m = re.search(rf'<h3 id="history-{port}-{proto}">.*?<tbody>(.*?)</tbody>', section, re.S)
    if not m:
        return None
    return [[text(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", m.group(1), re.S)]


def compare_with_info(s, port, env=ENV):
    """/api/v1/ports/N against `portscope info --json-object N` (registry by file name apart)."""
    api = s.json(f"/api/v1/ports/{port}")
    cli = pstest.run_json("info", "--json-object", str(port), env=env)
    api_reg, cli_reg = api.pop("registry"), cli.pop("registry")
    check(api == empty_to_null(cli), f"/api/v1/ports/{port} is the object of `portscope info --json-object {port}`")
    check(api_reg["source"] == os.path.basename(cli_reg["source"]) and api_reg["date"] == cli_reg["date"],
          f"both read the same registry ({api_reg['source']} {api_reg['date']})")
    return api, cli


# ---- no snapshot yet: the page says so in one line, and there is no "history" anywhere ----
# The 2026-02 registry named by PORTSCOPE_REGISTRY, an empty data directory.
ENV0 = dict(ENV, XDG_DATA_HOME=os.path.join(ENV["HOME"], "empty-data"), PORTSCOPE_REGISTRY=NEW)
s = Server(ENV0)
try:
    sec = history_section(s, 2)
    check("No earlier versions of the registry are kept here" in text(sec) and "portscope update" in text(sec),
          f"no snapshots: the page says so and how to get them ({text(sec)[:160]!r})")
    check("<h3" not in sec, "no snapshots: no history table")
    api, cli = compare_with_info(s, 2, ENV0)
    check("history" not in api and "history" not in cli, "no snapshots: no \"history\" in the API nor in info")
finally:
    check(s.stop() == 0, "serve exits 0 on SIGTERM")

# ---- two versions kept, the way update keeps them ----
for csv, date in ((OLD, "2024-04-30"), (NEW, "2026-02-25")):
    o = pstest.run_json("update", "--from", csv, "--no-listening", "--json", env=ENV)
    check(o["status"] == "installed" and o["date"] == date, f"update --from {os.path.basename(csv)}: {o['status']} {o['date']}")
check(sorted(f.split("_")[0] for f in os.listdir(SNAPSHOTS) if f.endswith(".csv.gz")) == ["2024-04-30", "2026-02-25"]
      and os.path.exists(os.path.join(SNAPSHOTS, "history.txt")), f"two snapshots and the index: {os.listdir(SNAPSHOTS)}")

s = Server(ENV)
try:
    sec = history_section(s, 2)
    check("2 registry versions are kept by 'portscope update': 2024-04-30, 2026-02-25." in text(sec),
          f"the versions kept are named ({text(sec)[:120]!r})")
    for proto in ("tcp", "udp"):
        rows = table_rows(sec, 2, proto)
        # State, registry versions, Registered, Modified.
        want = [["compressnet assigned", "2024-04-30", "—", "—"], ["reserved", "since 2026-02-25", "—", "2025-02-13"]]
        check(rows == want, f"2/{proto}: compressnet assigned in 2024-04-30, reserved since 2026-02-25, "
                            f"modified 2025-02-13 ({rows})")
        check(f'href="/services/compressnet"' in sec, f"2/{proto}: the old name links to its service page")
    check(table_rows(sec, 2, "sctp") is None, "2/sctp did not change: no table")
    check("reserved 2/tcp: registered —, modified 2025-02-13" in text(sec),
          f"the current rows' Registration and Modification dates ({text(sec)[-160:]!r})")

    sec22 = history_section(s, 22)
    check("This port's status and names are the same in every version kept." in text(sec22) and "<h3" not in sec22,
          "an unchanged port says so, without a table")

    # The API: the same "history" as info, whole objects equal.
    api, cli = compare_with_info(s, 2)
    h = api.get("history") or {}
    check(h.get("versions") == ["2024-04-30", "2026-02-25"] and [c["protocol"] for c in h.get("changes", [])] == ["tcp", "udp"]
          and h["changes"][0]["runs"][0]["names"] == ["compressnet"] and h["changes"][0]["runs"][1]["status"] == "reserved"
          and h["changes"][0]["runs"][1]["modified"] == "2025-02-13", f"/api/v1/ports/2 history ({h})")
    api22, _ = compare_with_info(s, 22)
    check(api22.get("history", {}).get("changes") == [], "22 unchanged: history with no changes")
    # The other port forms carry it too: a range's objects, and one protocol's changes only.
    rng = s.json("/api/v1/ports/1-3")["ports"]
    for o in rng:
        cli = pstest.run_json("info", "--json-object", str(o["port"]), env=ENV)
        check(o.get("history") == empty_to_null(cli.get("history")) and "history" in o,
              f"/api/v1/ports/1-3: port {o['port']} has info's history")
    one = s.json("/api/v1/ports/2/udp")
    check([c["protocol"] for c in one["history"]["changes"]] == ["udp"]
          and one["history"]["changes"][0] == h["changes"][1] and one["history"]["versions"] == h["versions"],
          f"/api/v1/ports/2/udp: the udp changes only ({one['history']})")
finally:
    check(s.stop() == 0, "serve exits 0 on SIGTERM")

finish()
