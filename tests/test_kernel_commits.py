"""Every kernel commit cited anywhere in the tree is in docs/kernel-commits.md, and every title
given with a hash is the table's title (issue 15: one table all other files cite)."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "docs" / "kernel-commits.md"
#: where a hex string is something else (trace fingerprints in the trace-format docs)
NOT_COMMITS = {"docs/traces.md"}
HASH = re.compile(r"(?<![0-9a-zA-Z])([0-9a-f]{12,40})(?![0-9a-zA-Z])")
#: a hash followed by a quoted commit title ("subsystem: what it does"); a quoted phrase without
#: a subsystem prefix is a quotation from the commit message, not its title
CITED_TITLE = re.compile(r"\b([0-9a-f]{12,40})\b[\s(]*[\"“]([^\"”]*: [^\"”]+)[\"”]")


def table() -> dict[str, str]:
    rows = {}
    for line in TABLE.read_text().splitlines():
        m = re.match(r"\|\s*([0-9a-f]{12})\s*\|\s*([^|]+?)\s*\|", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def sources() -> list[tuple[str, str]]:
    """(path, text) of every .py and .md file of the tree (hidden and build folders skipped)."""
    out = []
    for d, dirs, files in os.walk(ROOT):
        dirs[:] = [x for x in dirs if not x.startswith(".") and x not in ("build", "__pycache__")]
        for f in files:
            p = Path(d) / f
            if p.suffix in (".py", ".md") and p != TABLE:
                out.append((p.relative_to(ROOT).as_posix(), p.read_text(errors="replace")))
    return out


def cited() -> list[tuple[str, str, str]]:
    """(file, hash, text after it) for every hex token of 12+ digits in .py/.md files."""
    out = []
    for rel, text in sources():
        if rel in NOT_COMMITS:
            continue
        for m in HASH.finditer(text):
            h = m.group(1)
            if not (re.search(r"[a-f]", h) and re.search(r"[0-9]", h)):
                continue
            out.append((rel, h, text[m.end():m.end() + 200]))
    return out


def test_table_has_unique_short_hashes():
    rows = table()
    assert len(rows) >= 15
    assert all(len(h) == 12 for h in rows)


def test_every_cited_commit_is_in_the_table():
    rows = table()
    missing = sorted({(f, h) for f, h, _ in cited() if h[:12] not in rows})
    assert not missing, f"commits cited but not in docs/kernel-commits.md: {missing}"


def test_titles_given_with_a_hash_match_the_table():
    rows = table()
    wrong = []
    for rel, raw in sources():
        text = " ".join(raw.split())  # titles may wrap lines
        for m in CITED_TITLE.finditer(text):
            h, title = m.group(1)[:12], m.group(2)
            if h in rows and title != rows[h]:
                wrong.append((rel, h, title, rows[h]))
    assert not wrong, f"titles that disagree with docs/kernel-commits.md: {wrong}"
