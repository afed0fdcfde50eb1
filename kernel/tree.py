"""Kernel trees: find the files ppcheck compiles in a source tree or a Debian tarball.

Only what the build needs is read (``net/core/page_pool.c``, the page_pool headers, the
tree's ``include/linux/ptr_ring.h`` and the top-level Makefile for the version); a
tarball (``/usr/src/linux-source-X.Y.tar.xz``) is streamed once and those members are
extracted into the cache directory, keyed by the tarball's size and mtime. Nothing of the
kernel is ever copied into the repository.
"""

from __future__ import annotations

import hashlib
import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

#: files of a tree the build reads (relative to its root); the ones absent in a version
#: are skipped (6.1 has include/net/page_pool.h, 6.12 include/net/page_pool/*.h)
WANTED = (
    "Makefile",
    "net/core/page_pool.c",
    "net/core/page_pool_priv.h",
    "net/core/netmem_priv.h",
    "net/core/mp_dmabuf_devmem.h",
    "include/net/page_pool.h",
    "include/net/page_pool/types.h",
    "include/net/page_pool/helpers.h",
    "include/net/page_pool/memory_provider.h",
    "include/net/netmem.h",
    "include/linux/ptr_ring.h",
)


class TreeError(Exception):
    """A tree that cannot be used (one line for the user)."""


def cache_root() -> Path:
    """``$PPCHECK_CACHE`` or ``$XDG_CACHE_HOME/ppcheck`` (``~/.cache/ppcheck``)."""
    env = os.environ.get("PPCHECK_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "ppcheck"


@dataclass(frozen=True)
class Tree:
    """The files of one kernel tree that the build uses."""

    origin: str  # what the user named
    root: Path  # a directory holding WANTED (the tree, or the extraction in the cache)
    version: tuple[int, int]

    @property
    def kver(self) -> int:
        """The version as PP_KVER (6.12 -> 612, 6.1 -> 601)."""
        return self.version[0] * 100 + self.version[1]

    @property
    def name(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    def files(self) -> list[str]:
        return [f for f in WANTED if (self.root / f).is_file()]

    def digest(self) -> str:
        """sha256 over the names and contents of the files the build reads."""
        h = hashlib.sha256()
        for f in self.files():
            h.update(f.encode() + b"\0" + (self.root / f).read_bytes() + b"\0")
        return h.hexdigest()


def _version(makefile: Path) -> tuple[int, int]:
    text = makefile.read_text(errors="replace")[:2000]
    v = re.search(r"^VERSION\s*=\s*(\d+)", text, re.M)
    p = re.search(r"^PATCHLEVEL\s*=\s*(\d+)", text, re.M)
    if not v or not p:
        raise TreeError(f"{makefile}: no VERSION/PATCHLEVEL (not a kernel tree's Makefile)")
    return int(v.group(1)), int(p.group(1))


def _extract(tarball: Path) -> Path:
    st = tarball.stat()
    key = hashlib.sha256(f"{tarball.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
    dest = cache_root() / "trees" / key
    done = dest / ".complete"
    if done.exists():
        return dest
    tmp = dest.with_name(dest.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    wanted = set(WANTED)
    try:
        with tarfile.open(tarball, "r|*") as tf:
            for m in tf:
                parts = m.name.split("/", 1)
                if len(parts) == 2 and parts[1] in wanted and m.isfile():
                    out = tmp / parts[1]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    src = tf.extractfile(m)
                    if src is not None:
                        out.write_bytes(src.read())
    except (tarfile.TarError, OSError, EOFError) as e:
        raise TreeError(f"{tarball}: cannot read the tarball ({e})") from None
    (tmp / ".complete").write_text(str(tarball))
    if dest.exists():  # another process got there first
        return dest
    tmp.rename(dest)
    return dest


def open_tree(path: str) -> Tree:
    """The tree at ``path``: a kernel source directory or a ``.tar.xz``/``.tar`` tarball."""
    p = Path(path)
    if not p.exists():
        raise TreeError(f"{path}: no such kernel tree or tarball")
    root = p if p.is_dir() else _extract(p) if ".tar" in p.name else None
    if root is None:
        raise TreeError(f"{path}: not a directory or a .tar.xz tarball")
    if not (root / "net/core/page_pool.c").is_file():
        raise TreeError(f"{path}: no net/core/page_pool.c (not a kernel tree with page_pool)")
    mk = root / "Makefile"
    version = _version(mk) if mk.is_file() else _guess_version(root)
    return Tree(origin=path, root=root, version=version)


def _guess_version(root: Path) -> tuple[int, int]:
    """Without a Makefile (an extract of net/core + include): from the directory name
    (linux-source-6.12) or else from the header layout."""
    m = re.search(r"(\d+)\.(\d+)", root.resolve().name)
    if m:
        return int(m.group(1)), int(m.group(2))
    if (root / "include/net/page_pool/types.h").is_file():
        return 6, 12
    return 6, 1


def find_tree(version: str) -> str | None:
    """Where a tree of ``version`` ("6.12") is installed: ``$PPCHECK_KERNEL_TREE_6_12``, the
    Debian package's ``/usr/src/linux-source-6.12`` (a directory or the ``.tar.xz``)."""
    env = os.environ.get("PPCHECK_KERNEL_TREE_" + version.replace(".", "_"))
    cands = [env] if env else []
    cands += [f"/usr/src/linux-source-{version}", f"/usr/src/linux-source-{version}.tar.xz"]
    for c in cands:
        if c and Path(c).exists():
            return c
    return None
