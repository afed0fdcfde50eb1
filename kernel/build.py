"""Compile a tree's unmodified ``net/core/page_pool.c`` with the shim into a shared library.

Two translation units: the tree's ``page_pool.c`` and ``harness/harness.c`` (the scheduler,
fake memmap/buddy/DMA and the state readers), both with ``-include pp_shim.h -I shim/``
after the tree's own page_pool headers (a copy of just those files, so that no other
kernel header can shadow a shim). The library is cached under
``cache_root()/builds/<key>``, the key a hash of the tree's files, the shim, the harness,
the flags and the compiler: a second build of the same tree costs nothing.

Variants: ``rt`` compiles with ``CONFIG_PREEMPT_RT``; ``fine`` compiles page_pool.c with
``-fsanitize=thread`` so that GCC calls a hook before every plain load and store (the
harness defines the hooks; no sanitizer runtime is linked) and shared accesses yield; ``coverage`` with gcov
(``--coverage``, for the line coverage of page_pool.c); ``patch`` applies a unified diff
(a seeded bug, :mod:`ppcheck.kernel.bugs`) to the copy of the tree's files first; ``scope``
(cache size, refill) sets ``PP_ALLOC_CACHE_SIZE``/``PP_ALLOC_CACHE_REFILL`` in the copy of the
page_pool header to a spec configuration's ``cache_size``/``refill`` (the model scales these
constants down the same way), so that a spec trace can be replayed step for step.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .tree import Tree, TreeError, cache_root

HERE = Path(__file__).resolve().parent
SHIM = HERE / "shim"
HARNESS = HERE / "harness" / "harness.c"
CFLAGS = ["-O1", "-g", "-fPIC", "-std=gnu11", "-D__KERNEL__", "-w", "-fno-strict-aliasing"]


class BuildError(TreeError):
    """The compiler failed (the first error line is kept)."""


@dataclass(frozen=True)
class Build:
    """A compiled page_pool.c: the library, the tree it came from, how long it took."""

    tree: Tree
    lib: Path
    workdir: Path
    seconds: float  # 0.0 when it came from the cache
    cached: bool
    rt: bool
    coverage: bool
    patch: str | None
    fine: bool = False
    scope: tuple[int, int] | None = None


def _shim_files() -> list[Path]:
    return sorted(p for p in SHIM.rglob("*.h"))


def shim_lines() -> int:
    """Lines of the shim headers and the harness (the figure the docs quote)."""
    return sum(len(p.read_text().splitlines()) for p in [*_shim_files(), HARNESS])


def _compiler() -> str:
    cc = os.environ.get("CC", "gcc")
    if shutil.which(cc) is None:
        raise BuildError(f"no C compiler ({cc}) on PATH: install gcc to build the kernel harness")
    return cc


def _key(tree: Tree, cc: str, flags: list[str], patch: str | None) -> str:
    h = hashlib.sha256(tree.digest().encode())
    for p in _shim_files():
        h.update(str(p.relative_to(SHIM)).encode() + p.read_bytes())
    h.update(HARNESS.read_bytes())
    h.update(" ".join([cc, *flags]).encode())
    h.update((patch or "").encode())
    with contextlib.suppress(OSError):
        h.update(subprocess.run([cc, "--version"], capture_output=True, text=True,
                                check=False).stdout.encode())
    return h.hexdigest()[:20]


def _apply_patch(src: Path, patch: str) -> None:
    r = subprocess.run(["patch", "-p1", "--forward", "--no-backup-if-mismatch", "-s"], cwd=src,
                       input=patch, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise BuildError(f"the patch does not apply to this tree: {(r.stdout + r.stderr).strip()[:200]}")


SCOPE_HEADERS = ("include/net/page_pool/types.h", "include/net/page_pool.h")


def _apply_scope(src: Path, scope: tuple[int, int]) -> None:
    """PP_ALLOC_CACHE_SIZE = scope[0], PP_ALLOC_CACHE_REFILL = scope[1] in the copied header.
    A refill above the cache size (the spec's ``bulk`` scope: one cache slot, two pages per
    alloc_pages_bulk_array_node()) keeps the full test at the size and gives ``alloc.cache[]``
    room for the refill: the bulk and the refill loop fill up to PP_ALLOC_CACHE_REFILL slots
    before they hand the last one out (upstream's 128 >= 64 never needs it)."""
    size, refill = scope
    if size < 1 or refill < 1:
        raise BuildError(f"scope: cache size {size} and refill {refill} must be at least 1")
    for rel in SCOPE_HEADERS:
        f = src / rel
        if not f.is_file():
            continue
        text = f.read_text()
        new, n = re.subn(r"(#define\s+PP_ALLOC_CACHE_SIZE\s+)\d+", rf"\g<1>{size}", text)
        new = re.sub(r"(#define\s+PP_ALLOC_CACHE_REFILL\s+)\d+", rf"\g<1>{refill}", new)
        if refill > size:
            new = new.replace("cache[PP_ALLOC_CACHE_SIZE];", "cache[PP_ALLOC_CACHE_REFILL];")
        if n:  # (the tree's own values leave the text as it is)
            f.write_text(new)
            return
    raise BuildError("scope: no PP_ALLOC_CACHE_SIZE/PP_ALLOC_CACHE_REFILL in the tree's page_pool header")


def build(tree: Tree, rt: bool = False, coverage: bool = False, patch: str | None = None,
          fine: bool = False, scope: tuple[int, int] | None = None) -> Build:
    """Compile (or fetch from the cache) the harness library for ``tree``; ``fine``
    instruments page_pool.c's plain loads and stores as yield points too."""
    cc = _compiler()
    flags = [*CFLAGS, f"-DPP_KVER={tree.kver}"]
    kflags = ["-fsanitize=thread"] if fine else []
    if rt:
        flags.append("-DCONFIG_PREEMPT_RT=1")
    if coverage:
        flags += ["--coverage", "-O0"]
    if scope:
        flags.append("-fno-omit-frame-pointer")  # the replay reads the call stack of a yield
    key = _key(tree, cc, flags + kflags + ([f"scope={scope}"] if scope else []), patch)
    work = cache_root() / "builds" / key
    lib = work / "libppkernel.so"
    if lib.is_file():
        return Build(tree, lib, work, 0.0, True, rt, coverage, patch, fine, scope)
    t0 = time.perf_counter()
    # gcov writes its .gcda next to the objects' build path: build those in place
    tmp = work if coverage else work.with_name(work.name + f".tmp{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    src = tmp / "src"
    for f in tree.files():
        out = src / f
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tree.root / f, out)
    if patch:
        _apply_patch(src, patch)
    if scope:
        _apply_scope(src, scope)
    inc = ["-include", str(SHIM / "pp_shim.h"), "-I", str(src / "include"), "-I",
           str(src / "net/core"), "-I", str(SHIM)]
    objs = []
    for name, c in (("page_pool", src / "net/core/page_pool.c"), ("harness", HARNESS)):
        obj = tmp / f"{name}.o"
        extra = kflags if name == "page_pool" else []
        r = subprocess.run([cc, *flags, *extra, *inc, "-c", str(c), "-o", str(obj)], capture_output=True,
                           text=True, check=False, cwd=tmp)
        if r.returncode != 0:
            err = next((ln for ln in r.stderr.splitlines() if "error" in ln), r.stderr.strip()[:200])
            raise BuildError(f"{tree.origin}: {name}.c does not compile against the shim: {err}")
        objs.append(str(obj))
    r = subprocess.run([cc, "-shared", *(["--coverage"] if coverage else []), "-o",
                        str(tmp / lib.name), *objs], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise BuildError(f"{tree.origin}: link failed: {r.stderr.strip()[:200]}")
    if tmp == work:
        pass
    elif work.exists():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.rename(work)
    return Build(tree, lib, work, time.perf_counter() - t0, False, rt, coverage, patch, fine, scope)
