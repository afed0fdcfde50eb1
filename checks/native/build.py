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
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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
const double *pp_prof(void *);
void *pp_live(void *, int, const int32_t *, int, int, int *);
void pp_live_free(void *);
int64_t pp_live_start(void *);
int64_t pp_live_size(void *, int);
const int32_t *pp_live_i32(void *, int);
const int64_t *pp_live_off(void *, int);
const uint8_t *pp_live_dead(void *);
int64_t pp_asym(const uint8_t *, int64_t, int32_t *);
"""

CFLAGS = ["-O2", "-march=native", "-fPIC", "-shared", "-pthread", "-fno-strict-aliasing", "-w"]


class BuildError(Exception):
    """The C compiler is missing or rejected the generated source."""


#: the optimisation levels ``$PPCHECK_NATIVE_OPT`` may choose (the test session takes -O1:
#: mainline compiles in 60% of -O2's time and searches within 7%; -O0 searches 4x slower)
OPT_LEVELS = ("-O0", "-O1", "-O2", "-O3", "-Os")


def default_opt() -> str:
    """``$PPCHECK_NATIVE_OPT`` (one of :data:`OPT_LEVELS`), else -O2; the same states,
    verdicts and traces at every level."""
    opt = os.environ.get("PPCHECK_NATIVE_OPT") or "-O2"
    if opt not in OPT_LEVELS:
        raise BuildError(f"PPCHECK_NATIVE_OPT={opt!r}: expected one of {', '.join(OPT_LEVELS)}")
    return opt


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


def build(source: str, name: str, fingerprint: str, key: str | None = None,
          opt: str | None = None) -> tuple[Any, Any, Path]:
    """Compile ``source`` (or reuse the cached build) and return (ffi, lib, path).

    With ``key`` (:func:`system_key`), the build is also recorded under it, so the next run
    of the same system finds it (:func:`load_cached`) without generating the source.
    ``opt``: the optimisation level (mutant schemata are large and searched briefly: ``-O1``;
    default :func:`default_opt`)."""
    cc = compiler()
    if cc is None:
        raise BuildError("no C compiler found (set CC, or install cc/gcc)")
    opt = opt or default_opt()
    flags = [opt if f == "-O2" else f for f in CFLAGS]
    digest = hashlib.sha256((source + " ".join(flags)).encode()).hexdigest()[:16]
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    out = cache_dir() / f"{safe}-{fingerprint}-{digest}.so"
    if out.exists():
        try:
            lib = _dlopen(str(out))
        except OSError:  # a damaged build (a full disk, a killed copy): build it again
            out.unlink(missing_ok=True)
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        with _build_lock(out):  # a concurrent build of the same source waits for this one
            if not out.exists():
                _compile(cc, flags, source, out)
        lib = _dlopen(str(out))
    if key is not None:
        _record(key, out.name)
    return _ffi(), lib, out


def _compile(cc: str, flags: list[str], source: str, out: Path) -> None:
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        src = Path(tmp) / "model.c"
        src.write_text(source)
        so = Path(tmp) / "model.so"
        r = subprocess.run([cc, *flags, str(src), "-o", str(so)], capture_output=True, text=True)
        if r.returncode != 0:
            first = (r.stderr.strip().splitlines() or ["(no output)"])[0]
            raise BuildError(f"the C compiler failed on the generated source: {first}")
        os.replace(so, out)  # atomic: readers see no file or the whole build


@contextmanager
def _build_lock(out: Path) -> Iterator[None]:
    """An exclusive lock on ``out``'s build (``out.lock``, flock): two processes (the workers
    of pytest-xdist, two ``ppcheck`` runs) that need the same shared object on a cold cache
    compile it once; the second waits and loads the first one's build.  Without flock (not
    POSIX) or a lock file (a read-only cache), no lock: each compiles, the last rename wins."""
    try:
        import fcntl

        fd = os.open(out.with_suffix(".lock"), os.O_CREAT | os.O_RDWR, 0o644)
    except (ImportError, OSError):
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


@cache
def _dlopen(path: str) -> Any:
    return _ffi().dlopen(path)


# -- the source-free cache: system key -> the build -----------------------------------------
#: what the generated C is made from (besides the System): the spec language and the checks,
#: the native generator and its C runtime among them
_GENERATOR_PACKAGES = ("ppcheck.spec", "ppcheck.checks")
_SO_NAME = re.compile(r"[A-Za-z0-9_-]+-[0-9a-f]{16}-[0-9a-f]{16}\.so")


@cache
def code_digest() -> str:
    """A hash of every .py and .c file of the packages the generated C is made from."""
    import importlib

    h = hashlib.sha256(" ".join(CFLAGS).encode())
    for pkg in _GENERATOR_PACKAGES:
        for root in importlib.import_module(pkg).__path__:
            for path in sorted(Path(root).rglob("*")):
                if path.suffix in (".py", ".c") and path.is_file():
                    h.update(f"\0{pkg}/{path.relative_to(root).as_posix()}\0".encode())
                    h.update(path.read_bytes())
    return h.hexdigest()


def system_key(system: Any) -> str:
    """Everything ``cgen.generate`` reads of ``system``, hashed with :func:`code_digest`.

    The fingerprint covers the IR (every guard, update, assertion and property expression,
    the fields' bounds and sorts, the initial states, the bindings in order); the rest is
    the packed layout (offsets, widths, Refs, symmetric arrays) and the names.  Equal keys
    mean the same generator on the same system: the same C functions."""
    lay = system.layout
    parts = [code_digest(), default_opt(), system.fingerprint, system.name, system.config.name,
             repr([(f.index, f.name, f.lo, f.hi, f.offset, f.width, f.wrap_bits, f.ref_target)
                   for f in lay.fields]),
             repr(lay.total_bits),
             repr(sorted((n, a.base, a.stride, len(a.elements), a.symmetric, a.field_indices)
                         for n, a in lay.arrays.items())),
             repr(list(system.symmetric_arrays)),
             repr([(p.name, p.kind, p.fairness) for p in system.properties]),
             repr([b.label() for b in system.bindings])]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _index(key: str) -> Path:
    return cache_dir() / "index" / key


def _record(key: str, so_name: str) -> None:
    path = _index(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "w") as f:
            f.write(so_name + "\n")
        os.replace(tmp, path)  # atomic: readers see the old entry or the new one
    except OSError:  # a read-only cache: the next run generates the source again
        pass


def load_cached(key: str) -> tuple[Any, Any, Path] | None:
    """The build recorded under ``key``, loaded; None when there is none or it is damaged
    (a malformed entry, a missing or unloadable shared object: the caller rebuilds)."""
    try:
        name = _index(key).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    out = cache_dir() / name
    if not _SO_NAME.fullmatch(name) or not out.is_file():
        return None
    try:
        return _ffi(), _dlopen(str(out)), out
    except OSError:
        return None
