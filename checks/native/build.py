"""Build a generated model source with the system C compiler and load it with cffi.

The shared object is cached under ``$PPCHECK_CACHE`` (default ``~/.cache/ppcheck``) in
``native/``, named by the model, its fingerprint and a hash of the generated source and
the compiler flags (the runtime is part of the source), so a model is compiled once per
change; the symmetry setting and the checked properties are chosen at run time.  Loading
uses cffi's ABI mode (``dlopen``): no Python headers are needed, only a C compiler.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

CDEF = """
void *pp_new(int);
int pp_succ(const uint8_t *, int32_t *, int32_t *, int32_t *, uint8_t *, uint8_t *);
int pp_nb(void);
void pp_props_all(const uint8_t *, uint8_t *);
void pp_set_active(void *, int, int);
int pp_prop(int, const uint8_t *, const uint8_t *);
void pp_free(void *);
int pp_add_init(void *, const uint8_t *);
void pp_canon_bytes(const uint8_t *, uint8_t *);
int pp_expand(void *, int64_t, int64_t, int);
int64_t pp_count(void *);
int64_t pp_dead(void *);
const uint8_t *pp_states(void *);
const int32_t *pp_parents(void *);
const uint16_t *pp_acts(void *);
const int64_t *pp_cov(void *);
const int64_t *pp_found_arr(void *);
const int32_t *pp_viol(void *, int);
int64_t pp_bytes(void *);
int pp_sb(void);
"""

CFLAGS = ["-O2", "-march=native", "-fPIC", "-shared", "-pthread", "-fno-strict-aliasing", "-w"]


class BuildError(Exception):
    """The C compiler is missing or rejected the generated source."""


def compiler() -> str | None:
    """The C compiler to use (``$CC``, else cc or gcc on the PATH), or None."""
    cc = os.environ.get("CC")
    if cc:
        return shutil.which(cc)
    return shutil.which("cc") or shutil.which("gcc")


def cache_dir() -> Path:
    root = os.environ.get("PPCHECK_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "ppcheck"
    return base / "native"


@cache
def _ffi() -> Any:
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    return ffi


def build(source: str, name: str, fingerprint: str, opt: str = "-O2") -> tuple[Any, Any, Path]:
    """Compile ``source`` (or reuse the cached build) and return (ffi, lib, path).  ``opt``:
    the optimisation level (mutant schemata are large and searched briefly: ``-O1``)."""
    cc = compiler()
    if cc is None:
        raise BuildError("no C compiler found (set CC, or install cc/gcc)")
    flags = [opt if f == "-O2" else f for f in CFLAGS]
    digest = hashlib.sha256((source + " ".join(flags)).encode()).hexdigest()[:16]
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    out = cache_dir() / f"{safe}-{fingerprint}-{digest}.so"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
            src = Path(tmp) / "model.c"
            src.write_text(source)
            so = Path(tmp) / "model.so"
            r = subprocess.run([cc, *flags, str(src), "-o", str(so)], capture_output=True, text=True)
            if r.returncode != 0:
                first = (r.stderr.strip().splitlines() or ["(no output)"])[0]
                raise BuildError(f"the C compiler failed on the generated source: {first}")
            os.replace(so, out)  # atomic: a concurrent build of the same source is harmless
    ffi = _ffi()
    return ffi, _dlopen(str(out)), out


@cache
def _dlopen(path: str) -> Any:
    return _ffi().dlopen(path)
