#!/usr/bin/env python3
"""The CLI's language: --json never changes with it (info, listening), and LANG=he_IL.UTF-8 speaks
Hebrew even where no he_IL locale is generated (once po/he.po has translations)."""
import os
import re
import socket
import subprocess
from pstest import FIXTURES, SRC, check, finish, run

mini = os.path.join(FIXTURES, "mini.csv")
LANGS = [{"LANG": "C"}, {"LANG": "he_IL.UTF-8"}, {"LANG": "ar_EG.UTF-8"}, {"LANG": "fr_FR.UTF-8"},
         {"LANG": "C.UTF-8", "LANGUAGE": "de"}, {"LC_ALL": "es_ES.UTF-8"}]
HEBREW = re.compile("[\u05d0-\u05ea]")


def outputs(*args):
    return [run(*args, env=e) for e in LANGS]


# --json: byte-identical in every language (JSON keys, enum values and reasons stay English).
for args in (["info", "--json", "625"], ["info", "--json", "1", "tcpmux"], ["search", "--json", "kerberos"],
             ["list", "--json", "--status", "unassigned", "--range", "system"]):
    res = outputs(*args, "--registry", mini)
    check(res[0][0] == 0, f"{args}: exit {res[0][0]}: {res[0][2].strip()}")
    for e, r in zip(LANGS[1:], res[1:]):
        check(r == res[0], f"{' '.join(args)} under {e} differs from LANG=C")

# listening --json on a socket of our own. Besides "time" and "elapsed_ms", the counts of the
# machine's descriptors change whenever another process opens a file: those are blanked, and a
# language gets three tries to match a run under LANG=C made just before it.
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen()
port = str(srv.getsockname()[1])
volatile = re.compile(r'"(time|elapsed_ms|descriptors|denied|unowned_sockets)":[0-9.e+-]+')
rc, out, err = run("listening", "--json", port, env=LANGS[0])
if rc == 2 and "not installed" in err:
    print("listening: skipped (portscope-audit not built)")
else:
    check(rc in (0, 1) and f'"port":{port}' in out, f"listening --json {port}: {rc} {err}")
    for e in LANGS[1:]:
        same = False
        for _ in range(3):
            c = run("listening", "--json", port, env=LANGS[0])
            r = run("listening", "--json", port, env=e)
            if r[0] == c[0] and volatile.sub("", r[1]) == volatile.sub("", c[1]):
                same = True
                break
        check(same, f"listening --json under {e} differs from LANG=C")
srv.close()

# Errors keep the untranslated "portscope: " prefix and one line in every language.
for e, (rc, out, err) in zip(LANGS, outputs("info", "65536", "--registry", mini)):
    check(rc == 2 and out == "" and err.startswith("portscope: ") and err.count("\n") == 1,
          f"info 65536 under {e}: rc={rc} err={err!r}")

# Hebrew, once the catalogue has translations.
he_po = os.path.join(SRC, "po", "he.po")
translated = subprocess.run(["msgattrib", "--translated", "--no-obsolete", he_po], capture_output=True,
                            text=True).stdout.count("\nmsgid ")
rc, out, err = run("info", "625", "--registry", mini, env={"LANG": "he_IL.UTF-8"})
check(rc == 0, f"info 625 in Hebrew: exit {rc}: {err.strip()}")
if translated == 0:
    print("hebrew text: skipped (po/he.po has no translations yet)")
    rc, c_out, _ = run("info", "625", "--registry", mini, env={"LANG": "C"})
    check(out == c_out, "without translations, LANG=he_IL.UTF-8 prints the English text")
else:
    check(HEBREW.search(out) is not None, f"info 625 under LANG=he_IL.UTF-8 has Hebrew letters: {out[:200]!r}")
    rc, out, err = run("info", "625", "--registry", mini, env={"LANG": "C"})
    check(HEBREW.search(out) is None, "info 625 under LANG=C has no Hebrew")
finish()
