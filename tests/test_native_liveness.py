"""Progress properties decided in C (checks/native/liveness.c) against the networkx search.

The native backend decides every ``leads_to`` in C: the not-q graph, Tarjan's components,
weak and strong (Emerson-Lei) fairness, the backward search.  A violation's lasso is
still built by checks/liveness.py on a networkx graph rebuilt from the C one.  Each case
runs the native explorer twice, with the C search and with the networkx search
(``native_leads_to = None``), and wants the same verdicts, details and traces byte for
byte: every leads_to of the default configurations that have one, each seeded progress
bug of tests/progress_bugs.py, and toys for no, weak and strong fairness, a deadlock and
symmetry.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ppcheck.checks import liveness
from ppcheck.checks.native import unavailable
from ppcheck.checks.native.explorer import NativeExplorer
from ppcheck.models import get_model
from ppcheck.models.toys import Increment, IncrementLock
from ppcheck.spec import build, leads_to

sys.path.insert(0, str(Path(__file__).parent))
import progress_bugs as pb  # noqa: E402
from fairness_toys import spin_model  # noqa: E402

pytestmark = pytest.mark.skipif(unavailable() is not None, reason=f"native backend: {unavailable()}")


def _run(sysm, native: bool, monkeypatch=None, **kw):
    ex = NativeExplorer(sysm, workers=1, **kw)
    if native:
        if monkeypatch is not None:  # prove the networkx graph is not built for a verdict
            def no_graph(*a, **k):
                raise AssertionError("the networkx graph was built")
            monkeypatch.setattr(liveness, "leads_to_graph", no_graph)
    else:
        ex.native_leads_to = None
    run = ex.run()
    if monkeypatch is not None:
        monkeypatch.undo()
    results = [(r.name, r.status, r.detail, r.trace_length) for r in run.results
               if r.kind == "leads_to"]
    traces = {k: json.dumps(t.to_json(), sort_keys=True) for k, t in ex.traces.items()
              if k in {r[0] for r in results}}
    return results, traces


def _same(sysm, monkeypatch=None, **kw):
    c, nx_ = _run(sysm, True, monkeypatch, **kw), _run(sysm, False, **kw)
    assert c == nx_
    return dict((r[0], r[1]) for r in c[0])


def _leads_to(sysm) -> list[str]:
    return [p.name for p in sysm.properties if p.kind == "leads_to"]


@pytest.mark.parametrize("cfg", ["polling", "frag"])
def test_default_configurations_agree(cfg, monkeypatch):
    """Every leads_to of mainline's configurations that check progress: all hold, decided
    without the networkx graph, as the networkx search decides them."""
    sysm = build(get_model("mainline"), cfg)
    assert _leads_to(sysm)
    verdicts = _same(sysm, monkeypatch)
    assert set(verdicts.values()) == {"holds"}


SEEDED = [
    (pb.LostRingUnlock, "polling", "dropped_page_returns"),
    (pb.RefillNeedsFullBatch, "polling", "recycled_page_reallocated"),
    (pb.WorkerGivesUp, "frag", "pool_freed_once_pages_returned"),
    (pb.WorkerRetriesOnNegative, "frag", "release_worker_stops"),
]


@pytest.mark.parametrize("case", SEEDED, ids=lambda c: c[0].__name__)
def test_seeded_progress_bugs_give_the_same_lasso(case):
    """The C search finds each seeded bug, and the lasso is the networkx search's, byte for
    byte."""
    model, cfg, prop = case
    assert _same(build(model, cfg), properties=[prop]) == {prop: "violated"}


@pytest.mark.parametrize("fairness, gated, verdict", [
    (None, False, "violated"),
    ("who", False, "holds"),
    ("action", False, "holds"),
    ("who", True, "violated"),
    ("strong who", True, "holds"),
    ("strong action", True, "holds"),
])
def test_fairness_kinds_agree(fairness, gated, verdict):
    """No, weak and strong fairness: the C verdicts (and lassos) are the networkx ones."""
    assert _same(build(spin_model(fairness, gated)), symmetry=False) == {"b_finishes": verdict}


class _Progress(Increment):
    name = "progress"

    @leads_to
    def reaches_two(self, s):
        """Once started, x eventually reaches 2: false, the lost update stops at 1."""
        return s.x == 0, s.x == 2


@pytest.mark.parametrize("symmetry", [True, False])
def test_deadlock_and_symmetry_agree(symmetry):
    """A deadlock as the sink (the lost update), and a property under symmetry."""
    assert _same(build(_Progress), symmetry=symmetry) == {"reaches_two": "violated"}
    assert _same(build(IncrementLock), symmetry=symmetry) == {"lock_released": "holds"}
