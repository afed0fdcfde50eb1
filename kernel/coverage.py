"""gcov line coverage of page_pool.c under the conformance suite.

A coverage build (``--coverage -O0``) of the tree is driven through every scenario that
runs on the plain build (not the RT or fine builds, which are separate libraries) in a
child process; at its exit libgcov writes the ``.gcda`` next to the objects and ``gcov``
reports the lines of ``page_pool.c`` that ran.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .build import build
from .tree import Tree

_CHILD = """
import sys
from ppcheck.kernel.build import build
from ppcheck.kernel.driver import Kernel
from ppcheck.kernel.explore import exhaustive
from ppcheck.kernel.scenarios import SCENARIOS, FINDINGS
from ppcheck.kernel.tree import open_tree
t = open_tree(sys.argv[1])
k = Kernel(build(t, coverage=True))
for sc in SCENARIOS + FINDINGS:
    if sc.applies(t.kver) and not sc.rt and not sc.fine:
        exhaustive(k, sc, max_states=int(sys.argv[2]))
"""


def line_coverage(tree: Tree, max_states: int = 3000) -> tuple[int, int]:
    """(lines executed, executable lines) of net/core/page_pool.c under the suite."""
    b = build(tree, coverage=True)
    for old in b.workdir.glob("*.gcda"):
        old.unlink()
    subprocess.run([sys.executable, "-c", _CHILD, tree.origin, str(max_states)], check=True)
    r = subprocess.run(["gcov", "-n", "-o", str(b.workdir), str(b.workdir / "src/net/core/page_pool.c")],
                       capture_output=True, text=True, cwd=b.workdir, check=False)
    return parse_gcov(r.stdout, "page_pool.c")


def parse_gcov(out: str, name: str) -> tuple[int, int]:
    """gcov -n's ``File '.../page_pool.c'`` / ``Lines executed:61.19% of 523`` pair."""
    blocks = re.findall(r"File '([^']*)'\nLines executed:([\d.]+)% of (\d+)", out)
    for f, pct, n in blocks:
        if Path(f).name == name:
            total = int(n)
            return round(float(pct) * total / 100), total
    raise ValueError(f"gcov reported no lines of {name}")
