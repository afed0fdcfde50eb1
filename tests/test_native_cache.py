"""The native backend's build cache (checks/native/build.py): a system built before is
loaded by its key without generating its C again; the key changes with the system and the
generator; a damaged entry or shared object is ignored and rebuilt."""

from __future__ import annotations

import pytest

from ppcheck.checks.native import build as nbuild
from ppcheck.checks.native import explorer as nexplorer
from ppcheck.checks.native import unavailable
from ppcheck.checks.native.explorer import NativeExplorer
from ppcheck.models.toys import Counters, IncrementLock
from ppcheck.spec import build

pytestmark = pytest.mark.skipif(unavailable() is not None, reason=f"native backend: {unavailable()}")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PPCHECK_CACHE", str(tmp_path))
    return tmp_path / "native"


def _states(sysm) -> int:
    return NativeExplorer(sysm, workers=1).run().states


def _no_generate(monkeypatch):
    def boom(system):
        raise AssertionError("the C source was generated again")
    monkeypatch.setattr(nexplorer, "generate", boom)


def test_second_run_needs_no_source(cache, monkeypatch):
    sysm = build(Counters)
    first = _states(sysm)
    assert len(list((cache / "index").iterdir())) == 1
    _no_generate(monkeypatch)
    assert _states(build(Counters)) == first == 1000


def test_key_follows_the_system_and_the_generator(monkeypatch):
    keys = {nbuild.system_key(build(Counters, c)) for c in ("default", "bench")}
    keys.add(nbuild.system_key(build(IncrementLock)))
    assert len(keys) == 3
    assert nbuild.system_key(build(Counters)) == nbuild.system_key(build(Counters))
    before = nbuild.system_key(build(Counters))
    monkeypatch.setattr(nbuild, "code_digest", lambda: "another generator")
    assert nbuild.system_key(build(Counters)) != before


@pytest.mark.parametrize("damage", ["garbage entry", "missing object", "broken object"])
def test_damaged_cache_is_rebuilt(cache, damage):
    sysm = build(Counters)
    assert _states(sysm) == 1000
    (entry,) = (cache / "index").iterdir()
    so = cache / entry.read_text().strip()
    if damage == "garbage entry":
        entry.write_bytes(b"\xff../../etc/passwd\n")
    elif damage == "missing object":
        so.unlink()
    else:  # an entry naming an object that does not load (a new file: not mapped here yet)
        broken = cache / ("counters-default-" + "0" * 16 + "-" + "1" * 16 + ".so")
        broken.write_bytes(b"not an ELF file")
        entry.write_text(broken.name + "\n")
        assert nbuild.load_cached(nbuild.system_key(sysm)) is None
    assert _states(build(Counters)) == 1000
    assert nbuild.load_cached(nbuild.system_key(sysm)) is not None


def test_the_optimisation_level_is_part_of_the_build(cache, monkeypatch):
    """``$PPCHECK_NATIVE_OPT`` (the test session's -O1) names its own build and key: the same
    states at -O0 and -O2; a level the compiler is not given is refused in one line."""
    sysm = build(Counters)
    keys, counts = set(), set()
    for opt in ("-O0", "-O2"):
        monkeypatch.setenv("PPCHECK_NATIVE_OPT", opt)
        keys.add(nbuild.system_key(sysm))
        counts.add(_states(sysm))
    assert len(keys) == 2 and counts == {1000}
    assert len(list(cache.glob("*.so"))) == 2
    monkeypatch.setenv("PPCHECK_NATIVE_OPT", "-O9")
    with pytest.raises(nbuild.BuildError, match="PPCHECK_NATIVE_OPT='-O9': expected one of -O0"):
        nbuild.default_opt()


def test_concurrent_builds_of_one_source_compile_once(cache, monkeypatch, tmp_path):
    """Two processes (pytest-xdist's workers on a cold cache) that need the same shared object:
    the second waits on the build's lock and loads the first one's build."""
    import os
    import shutil
    import subprocess
    import sys

    log = tmp_path / "cc.log"
    cc = tmp_path / "slowcc"
    real = shutil.which("cc") or shutil.which("gcc")
    cc.write_text(f'#!/bin/sh\necho "$$" >> {log}\nsleep 1\nexec {real} "$@"\n')
    cc.chmod(0o755)
    code = ("from ppcheck.checks.native import build as b; "
            "print(b.build('int ppcheck_lock_probe;', 'probe', '0' * 16)[2].name)")
    env = dict(os.environ, CC=str(cc), PPCHECK_CACHE=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    names = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs) and len(names) == 1
    assert len(log.read_text().split()) == 1, "the same source was compiled twice"
    assert len(list(cache.glob("*.so"))) == 1
