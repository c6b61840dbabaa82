#!/usr/bin/env python3
"""The CLI's language: --json never changes with it (info, listening, audit: reasons included, checked
against a pseudo-Hebrew catalogue of every msgid), the table's reasons do, and LANG=he_IL.UTF-8 speaks
Hebrew even where no he_IL locale is generated."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
from pstest import FIXTURES, SRC, check, finish, run

mini = os.path.join(FIXTURES, "mini.csv")
LANGS = [{"LANG": "C"}, {"LANG": "he_IL.UTF-8"}, {"LANG": "ar_EG.UTF-8"}, {"LANG": "fr_FR.UTF-8"},
         {"LANG": "C.UTF-8", "LANGUAGE": "de"}, {"LC_ALL": "es_ES.UTF-8"}]
HEBREW = re.compile("[\u05d0-\u05ea]")
no_knowledge = os.path.join(tempfile.mkdtemp(prefix="portscope-i18n-k-"), "empty.txt")
open(no_knowledge, "w").close()


def outputs(*args):
    return [run(*args, env=e) for e in LANGS]


# --json: byte-identical in every language (JSON keys, enum values and reasons stay English).
for args in (["info", "--json", "625"], ["info", "--json", "1", "tcpmux"], ["search", "--json", "kerberos"],
             ["list", "--json", "--status", "unassigned", "--range", "system"]):
    res = outputs(*args, "--registry", mini)
    check(res[0][0] == 0, f"{args}: exit {res[0][0]}: {res[0][2].strip()}")
    for e, r in zip(LANGS[1:], res[1:]):
        check(r == res[0], f"{' '.join(args)} under {e} differs from LANG=C")

# LANGUAGE alone (no locale chosen) is followed; LC_ALL=C or LANG=C beside it is English, as in any
# gettext program (scripts rely on it).
import pstest
bare = {k: v for k, v in pstest.ENV.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
for extra, french in (({}, True), ({"LC_ALL": "C"}, False), ({"LANG": "C"}, False)):
    p = subprocess.run([pstest.BIN, "--help"], env={**bare, "LANGUAGE": "fr", **extra}, capture_output=True)
    text = p.stdout.decode("utf-8", "replace")
    check(("Usage\u00a0:" in text) == french and (text.startswith("Usage:") != french),
          f"LANGUAGE=fr with {extra or 'no locale'}: {'French' if french else 'English'} ({text[:30]!r})")

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
    # A reason's clauses (ours: nothing explains it; on loopback only) are joined as each language
    # punctuates: French puts a no-break space before ';', Arabic writes '؛'. The small registry and
    # no knowledge: a knowledge entry's own English summary (some ephemeral ports are malware's)
    # would bring its own "; ".
    r = run("--help", env={"LANG": "C.UTF-8", "LANGUAGE": "fr"})
    check("Usage\u00a0:" in r[1], f"the environment speaks French: {r[1][:60]!r}")
    for e, sep in (({"LANG": "C"}, "; "), ({"LANG": "C.UTF-8", "LANGUAGE": "fr"}, "\u00a0; "),
                   ({"LANG": "C.UTF-8", "LANGUAGE": "ar"}, "\u061b ")):
        rc, text, err = run("listening", f"{port}/tcp", "--registry", mini, "--knowledge", no_knowledge, env=e)
        line = next((l for l in text.splitlines() if f" {port} " in l), "")
        bare = re.search("[^\u00a0]; ", line) if e.get("LANGUAGE") else None
        check(rc in (0, 1) and sep in line and not bare, f"listening {port} under {e}: clauses joined by {sep!r}: {line!r}")

# The reasons of listening/audit are composed in the reader's language, and --json composes them in
# English. po/*.po may be empty, so a catalogue of our own translates every msgid of the sources
# ("עב: " before the English): the table must then show a translated reason and JSON must not.
pseudo = None
if shutil.which("xgettext") and shutil.which("msgfmt") and not (rc == 2 and "not installed" in err):
    pseudo = tempfile.mkdtemp(prefix="portscope-i18n-")
    pot = os.path.join(pseudo, "all.pot")
    with open(os.path.join(SRC, "po", "POTFILES")) as f:
        files = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    subprocess.run(["xgettext", "--force-po", "--keyword=_", "--keyword=N_", "--keyword=ps_ngettext:1,2",
                    "--keyword=ps_pgettext:1c,2", "--from-code=UTF-8", "--no-wrap", "-D", SRC, "-o", pot, *files], check=True)
    lines, msgid = [], ""
    with open(pot, encoding="utf-8") as f:
        for line in f:
            m = re.match(r'msgid(?:_plural)? (".*")$', line.rstrip("\n"))
            if m and line.startswith("msgid "):
                msgid = m.group(1)
            if line.startswith("msgstr") and msgid != '""':
                line = line.split(" ", 1)[0] + ' "\u05e2\u05d1: ' + msgid[1:] + "\n"
            elif line.startswith('"Content-Type'):
                line = '"Content-Type: text/plain; charset=UTF-8\\n"\n'
            lines.append(line)
    with open(pot, "w", encoding="utf-8") as f:
        f.write('msgid ""\nmsgstr ""\n"Language: he\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
                '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n')
        f.writelines(lines[lines.index("\n") + 1:] if "\n" in lines else lines)
    os.makedirs(os.path.join(pseudo, "he", "LC_MESSAGES"))
    subprocess.run(["msgfmt", "-o", os.path.join(pseudo, "he", "LC_MESSAGES", "portscope.mo"), pot], check=True)
    he = {"LANG": "he_IL.UTF-8", "PORTSCOPE_LOCALEDIR": pseudo}
    c = {"LANG": "C", "PORTSCOPE_LOCALEDIR": pseudo}
    def ours(text):
        """The listeners on our port in a --json output (audit reports the whole machine, whose other
        sockets come and go), and their reasons."""
        found = []

        def walk(v):
            if isinstance(v, dict):
                if v.get("port") == int(port) and "reason" in v:
                    found.append(v)
                for x in v.values():
                    walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        try:
            walk(json.loads(text))
        except ValueError:
            return None
        return found

    for args in (["listening", port], ["audit", "--no-history"]):
        rc, out, err = run(*args, "--json", env=c)
        mine = ours(out)
        check(rc in (0, 1) and mine, f"{args} --json: a listener on {port} with a reason: {rc} {err}")
        if not mine:
            continue
        rc, h_out, err = run(*args, "--json", env=he)
        check(rc in (0, 1) and ours(h_out) == mine,
              f"{args} --json: our listener under a Hebrew catalogue differs from LANG=C: {ours(h_out)} {mine}")
        check(HEBREW.search(h_out) is None, f"{args} --json has no Hebrew")
        # The table in Hebrew: the reason is translated, so its English text is not there.
        reason = mine[0]["reason"]
        rc, text, err = run(*args, env=he)
        check(rc in (0, 1) and HEBREW.search(text) is not None, f"{args} in Hebrew: {rc} {err} {text[:200]!r}")
        check(reason not in text, f"{args} in Hebrew still shows the English reason {reason!r}")
        rc, text, _ = run(*args, env=c)
        check(reason[:40] in text, f"{args} under LANG=C shows the reason {reason!r}")
    # portscope update and diff: the text speaks the catalogue's language, --json does not (its
    # listening_note included).
    # An older registry: mini.csv without its last rows (ports newly assigned since).
    old = os.path.join(tempfile.mkdtemp(prefix="portscope-i18n-old-"), "old.csv")
    with open(mini, encoding="utf-8") as f, open(old, "w", encoding="utf-8") as g:
        g.writelines(f.readlines()[:12])

    def update_into(env, *args):
        data = tempfile.mkdtemp(prefix="portscope-i18n-data-")
        e = dict(env, XDG_DATA_HOME=data)
        first = run("update", "--from", old, "--min-rows", "1", env=e)
        check(first[0] == 0, f"update --from {old}: {first}")
        rc, out, err = run("update", "--from", mini, "--min-rows", "1", "--no-listening", *args, env=e)
        shutil.rmtree(data)
        return rc, out.replace(data, "DATA"), err

    rc_c, out_c, _ = update_into(c, "--json")
    rc_h, out_h, _ = update_into(he, "--json")
    if check(rc_c == 0 and rc_h == 0, f"update --from --json: exit {rc_c}, {rc_h}"):
        jc, jh = json.loads(out_c), json.loads(out_h)
        check(jc == jh, f"update --json under a Hebrew catalogue differs from LANG=C: {out_h[:300]}")
        check(jh.get("listening_note") == "not asked (--no-listening)", f"listening_note in English: {jh}")
    rc, out, _ = update_into(he)
    check(rc == 0 and "\u05e2\u05d1: Installed" in out and "\u05e2\u05d1: Newly assigned" in out,
          f"update's text under a Hebrew catalogue is translated: {out[:400]!r}")
    d_c = run("diff", "--json", old, mini, env=c)
    d_h = run("diff", "--json", old, mini, env=he)
    check(d_c[0] == 0 and d_c == d_h, "diff --json is the same under a Hebrew catalogue")
    rc, out, _ = run("diff", old, mini, env=he)
    check(rc == 0 and HEBREW.search(out) is not None, f"diff's text under a Hebrew catalogue: {out[:300]!r}")
    shutil.rmtree(os.path.dirname(old))
    shutil.rmtree(pseudo)
else:
    print("reasons: skipped (xgettext/msgfmt missing, or portscope-audit not built)")
srv.close()

# scan's table says the registry status and the verdict in the reader's language, as audit's table
# does (the states are nmap's words); --json keeps the English keys. A port below Linux's ephemeral
# range that mini.csv leaves unassigned, with no knowledge: unassigned and unexplained.
lst = socket.socket()
for cand in range(23456, 23556):
    try:
        lst.bind(("127.0.0.1", cand))
        break
    except OSError:
        continue
lst.listen()
sport = str(lst.getsockname()[1])
scan_args = ("scan", "127.0.0.1", "-p", sport, "--registry", mini, "--knowledge", no_knowledge, "--engine", "connect")
rc, out, err = run(*scan_args, "--json", env={"LANG": "C"})
if rc == 2 and "not installed" in err:
    print("scan table: skipped (portscope-scan not built)")
else:
    check(rc == 0 and '"verdict":"unexplained"' in out.replace(" ", "") and '"status":"unassigned"' in out.replace(" ", ""),
          f"scan --json {sport}: unassigned and unexplained: {rc} {err} {out[:300]}")
    for e, words, english in (({"LANG": "C"}, ("unassigned", "unexplained"), ()),
                              ({"LANG": "C.UTF-8", "LANGUAGE": "fr"}, ("non attribué", "inexpliqué"),
                               ("unassigned", "unexplained")),
                              ({"LANG": "he_IL.UTF-8"}, ("לא מוקצה", "לא מוסבר"), ("unassigned", "unexplained"))):
        rc, out, err = run(*scan_args, env=e)
        line = next((l for l in out.splitlines() if f"{sport}/tcp" in l and "open" in l), "")
        check(rc == 0 and all(w in line for w in words) and not any(w in line for w in english),
              f"scan {sport} under {e}: the port's line says {words}: {line!r} {err}")
lst.close()

# Errors keep the untranslated "portscope: " prefix and one line in every language.
for e, (rc, out, err) in zip(LANGS, outputs("info", "65536", "--registry", mini)):
    check(rc == 2 and out == "" and err.startswith("portscope: ") and err.count("\n") == 1,
          f"info 65536 under {e}: rc={rc} err={err!r}")

# A file's errors are in the reader's language too (the registry's and the baseline's parsers),
# after the untranslated "portscope: " and the file's name and line.
french = {"LANG": "C.UTF-8", "LANGUAGE": "fr"}
rc, out, err = run("info", "22", "--registry", os.path.join(FIXTURES, "header-only.csv"), env=french)
check(rc == 2 and err.startswith("portscope: ") and "header-only.csv:" in err and "aucune ligne" in err,
      f"a registry's parse error in French: {err!r}")
bl = os.path.join(os.path.dirname(no_knowledge), "baseline.txt")
with open(bl, "w") as f:
    f.write("22/tcp sshd\n")
rc, out, err = run("listening", "--baseline", bl, env=french)
check(rc == 2 and "baseline.txt:1:" in err and "raison manquante" in err, f"a baseline's error in French: {err!r}")
rc, out, err = run("listening", "--baseline", bl, env={"LANG": "C"})
check(rc == 2 and "missing reason" in err, f"... and in English under LANG=C: {err!r}")
kf = os.path.join(os.path.dirname(no_knowledge), "bad-knowledge.txt")
with open(kf, "w") as f:
    f.write("entry: x\nname: X\nkind: nonsense\nports: 1/tcp\nsummary: s\nsource: t\n")
rc, out, err = run("info", "22", "--registry", mini, "--knowledge", kf, env=french)
check(rc == 2 and "bad-knowledge.txt:3:" in err and "type inconnu" in err, f"a knowledge file's error in French: {err!r}")

# Every --help fits an 80-column terminal in every language (a URL is the one thing that cannot
# wrap). The helper executables print their own; one not built says so and is left out.
for cmd in ["", "info", "search", "list", "registry", "audit", "listening", "scan", "serve", "update", "diff",
            "watch"]:
    for e, (rc, out, err) in zip(LANGS, outputs(*([cmd] if cmd else []), "--help")):
        if rc == 2 and "not installed" in err:
            continue
        wide = [ln for ln in out.splitlines() if len(ln) > 80 and "https://" not in ln]
        check(rc == 0 and out and not wide, f"{cmd or 'portscope'} --help under {e}: lines over 80 columns: {wide[:2]}")

# Hebrew: po/he.po is complete (test_i18n_catalogues), so the CLI speaks it.
rc, out, err = run("info", "625", "--registry", mini, env={"LANG": "he_IL.UTF-8"})
check(rc == 0, f"info 625 in Hebrew: exit {rc}: {err.strip()}")
check(HEBREW.search(out) is not None, f"info 625 under LANG=he_IL.UTF-8 has Hebrew letters: {out[:200]!r}")
rc, out, err = run("info", "625", "--registry", mini, env={"LANG": "C"})
check(HEBREW.search(out) is None, "info 625 under LANG=C has no Hebrew")
shutil.rmtree(os.path.dirname(no_knowledge))
finish()
