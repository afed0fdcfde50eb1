"""Which kernel functions a yield point is in: ``addr2line -i`` over the harness library.

A context stops at a yield point (an atomic, a lock, a READ_ONCE...) inside an inline shim
helper that GCC inlined into page_pool.c's functions; the debug information of the library
(``-g``) names the whole inline chain, innermost first (``atomic_long_read``,
``page_pool_unref_netmem``, ``page_pool_put_netmem``, ``page_pool_put_full_page``). The
spec-trace replay (:mod:`.spec_replay`) reads it to say which spec action a yield point
belongs to.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


class Symbols:
    """Inline chains of code offsets of one library, cached."""

    def __init__(self, lib: Path):
        self.lib = lib
        self.tool = shutil.which("addr2line")
        self.cache: dict[int, tuple[str, ...]] = {}

    def chain(self, off: int) -> tuple[str, ...]:
        """The functions (innermost first) of the code at ``off``, a return address: the call
        instruction before it is looked up. Empty when unknown."""
        if off < 0 or self.tool is None:
            return ()
        got = self.cache.get(off)
        if got is None:
            r = subprocess.run([self.tool, "-i", "-f", "-e", str(self.lib), hex(off - 1)],
                               capture_output=True, text=True, check=False)
            lines = r.stdout.splitlines()
            got = tuple(f for f in lines[0::2] if f and f != "??")
            self.cache[off] = got
        return got

    def stack(self, offs: list[int]) -> tuple[str, ...]:
        """The kernel functions of a whole suspended call stack (return addresses, innermost
        first), inline frames included, up to the harness's ``run_op``."""
        out: list[str] = []
        for off in offs:
            ch = self.chain(off)
            if "run_op" in ch:
                out.extend(ch[:ch.index("run_op")])
                break
            out.extend(ch)
        return tuple(out)
