#!/usr/bin/env python3
"""The catalogues of po/: every .po compiles with matching format strings (msgfmt --check), has no
untranslated and no fuzzy entry, and knows every msgid the sources have today (xgettext over
po/POTFILES); po/POTFILES names every source that marks strings. Fails, naming the language and
the count, until translators have filled the catalogues."""
import os
import re
import shutil
import subprocess
import tempfile
from pstest import SRC, check, finish, skip

PO = os.path.join(SRC, "po")
for tool in ("msgfmt", "msgattrib", "xgettext", "msgcmp"):
    if not shutil.which(tool):
        skip(f"{tool} is not installed (scripts/deps.sh installs gettext)")


def tool(*args):
    p = subprocess.run(args, capture_output=True, text=True, cwd=SRC)
    return p.returncode, p.stdout, p.stderr



def entries(po_text):
    """msgids of a .po text, each with its context ("severity\x04none"; the header's empty msgid
    excluded)."""
    out = set()
    joined = lambda block: "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block or ""))
    for m in re.finditer(r'^(?:msgctxt ((?:".*"\n)+))?msgid ((?:".*"\n)+)', po_text + "\n", re.M):
        s = joined(m.group(2))
        if s:
            out.add((joined(m.group(1)) + "\x04" if m.group(1) else "") + s)
    return out


with open(os.path.join(PO, "LINGUAS")) as f:
    linguas = [l.strip() for l in f if l.strip() and not l.startswith("#")]
check(set(linguas) == {"he", "ar", "fr", "de", "es"}, f"LINGUAS: {linguas}")
with open(os.path.join(PO, "POTFILES")) as f:
    potfiles = [l.strip() for l in f if l.strip() and not l.startswith("#")]

# Every source with _(), N_() or ps_ngettext() is in POTFILES, and every listed file exists.
marker = re.compile(r'(?<![A-Za-z0-9_])(?:_|N_|ps_ngettext)\(\s*"')
for root, _, files in os.walk(os.path.join(SRC, "src")):
    for name in files:
        if name.endswith(".c"):
            path = os.path.relpath(os.path.join(root, name), SRC)
            with open(os.path.join(SRC, path), encoding="utf-8", errors="replace") as f:
                if marker.search(f.read()):
                    check(path in potfiles, f"{path} marks strings for translation but is not in po/POTFILES")
for path in potfiles:
    check(os.path.exists(os.path.join(SRC, path)), f"po/POTFILES names {path}, which does not exist")

# The msgids of the sources today.
tmp = tempfile.mkdtemp(prefix="portscope-pot-")
pot = os.path.join(tmp, "portscope.pot")
rc, _, err = tool("xgettext", "--force-po", "--keyword=_", "--keyword=N_", "--keyword=ps_ngettext:1,2",
                  "--keyword=ps_pgettext:1c,2", "--from-code=UTF-8", "--no-wrap", "-D", SRC, "-f", os.path.join(PO, "POTFILES"), "-o", pot)
check(rc == 0, f"xgettext over po/POTFILES: {err.strip()}")
with open(pot, encoding="utf-8") as f:
    wanted = entries(f.read())
print(f"{len(wanted)} msgids in the sources")

for ll in linguas:
    po = os.path.join(PO, ll + ".po")
    if not check(os.path.exists(po), f"po/{ll}.po exists"):
        continue
    rc, _, err = tool("msgfmt", "--check", "-o", os.devnull, po)
    check(rc == 0, f"{ll}: msgfmt --check: {err.strip()}")
    with open(po, encoding="utf-8") as f:
        text = f.read()
    check(f'"Language: {ll}\\n"' in text, f"{ll}: the header names the language")
    check("Plural-Forms: nplurals=" in text, f"{ll}: the header has Plural-Forms")
    rc, out, _ = tool("msgattrib", "--untranslated", "--no-obsolete", po)
    untranslated = len(entries(out))
    rc, out, _ = tool("msgattrib", "--only-fuzzy", "--no-obsolete", po)
    fuzzy = len(entries(out))
    missing = wanted - entries(text)
    check(untranslated == 0, f"{ll}: {untranslated} untranslated strings")
    check(fuzzy == 0, f"{ll}: {fuzzy} fuzzy strings")
    check(not missing, f"{ll}: {len(missing)} strings of the sources are not in po/{ll}.po "
                       f"(ninja -C build portscope-pot portscope-update-po), e.g. {sorted(missing)[:3]}")
    print(f"{ll}: {len(entries(text))} entries, {untranslated} untranslated, {fuzzy} fuzzy, {len(missing)} missing")
shutil.rmtree(tmp)
finish()
