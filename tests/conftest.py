"""Test-session settings shared by every test module."""

import json
import os
from pathlib import Path

import pytest

# pytest-xdist already runs one test process per core: one BFS thread each (the native
# explorer's default is every core; any count gives the same states, traces and verdicts)
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("PPCHECK_WORKERS", "1")
# the native explorer's C at -O1: a mainline system compiles in 60% of -O2's CPU time and
# searches within 7% (checks/native/build.py:default_opt); every count and trace is the same
os.environ.setdefault("PPCHECK_NATIVE_OPT", "-O1")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """``--dist loadgroup`` (.ci/run): a worker names each test of an ``xdist_group``
    ``nodeid@group``, which is how the controller keeps a group on one worker (tests/shared.py:
    the tests of one search).  pytest-xdist 3.8 sets ``item._nodeid``, which pytest 9.2 no longer
    reads (its ids are ``item._id``): every group was silently dealt out test by test.  This
    names them when xdist's own hook did not."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if not names or item.nodeid.endswith("@" + "_".join(names)):
            continue
        named = f"{item.nodeid}@{'_'.join(names)}"
        if hasattr(item, "_id"):  # pytest >= 9.2: a NodeId
            item._id = type(item._id).parse(named)
        else:
            item._nodeid = named
        assert item.nodeid == named, "pytest-xdist loadgroup: cannot name the test's group"


def _matrix_parts() -> list[Path]:
    out = Path(os.environ["PPCHECK_AGREEMENT_MATRIX"])
    return sorted(out.parent.glob(out.name + ".gw*.json"))


def pytest_sessionstart(session):
    """No part of an earlier, interrupted session is joined into this one's matrix."""
    if os.environ.get("PPCHECK_AGREEMENT_MATRIX") and not os.environ.get("PYTEST_XDIST_WORKER"):
        for p in _matrix_parts():
            p.unlink()


def pytest_sessionfinish(session, exitstatus):
    """The agreement matrix under pytest-xdist: the controller joins the workers' parts
    (tests/test_engine_agreement.py writes ``$PPCHECK_AGREEMENT_MATRIX.<worker>.json``)."""
    out = os.environ.get("PPCHECK_AGREEMENT_MATRIX")
    if not out or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    parts = _matrix_parts()
    if not parts:
        return
    from test_engine_agreement import write_matrix

    write_matrix(Path(out), [json.loads(p.read_text()) for p in parts])
    for p in parts:
        p.unlink()
