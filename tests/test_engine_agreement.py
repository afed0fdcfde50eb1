"""Engines that keep agreeing: explorer, BMC and k-induction on every model x default
configuration of :data:`checks.agreement.CASES` (mark ``agreement``; ``.ci/run`` runs it
on both cores with the rest), the larger bounds of ``SLOW_CASES`` with ``-m slow``.

Each case fails on any disagreement (``checks/agreement.py`` lists the rules), and every
counterexample is replayed on the other engine.  With ``PPCHECK_AGREEMENT_MATRIX=FILE``
the agreement matrix (model x config x property x engine -> verdict, depth) is written
there in markdown at the end of the module (under pytest-xdist: each worker writes its part,
and ``tests/conftest.py`` joins the parts when the session ends).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import shared

from ppcheck.checks.agreement import (
    BMC,
    CASES,
    EXPLORER,
    KIND,
    SLOW_CASES,
    Agreement,
    Case,
    Cell,
    Row,
    agree,
    compare_row,
    matrix_markdown,
    summary_line,
    z3_admits,
)
from ppcheck.checks.explorer import Explorer
from ppcheck.checks.traces import Trace
from ppcheck.checks.z3_encode import Encoding
from ppcheck.models import get_model
from ppcheck.spec.model import build

pytestmark = pytest.mark.agreement

_DONE: list[Agreement] = []


@pytest.fixture(scope="module", autouse=True)
def _matrix():
    yield
    out = os.environ.get("PPCHECK_AGREEMENT_MATRIX")
    if not out or not _DONE:
        return
    every = list(CASES) + list(SLOW_CASES)
    part = [{"order": every.index(a.case) if a.case in every else len(every),
             "summary": summary_line(a), "rows": matrix_markdown([a]).splitlines()[2:]}
            for a in _DONE]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # under pytest-xdist each worker leaves its part; conftest.py joins them
        Path(f"{out}.{worker}.json").write_text(json.dumps(part))
    else:
        write_matrix(Path(out), [part])


def write_matrix(out: Path, parts: list[list[dict]]) -> None:
    """The agreement matrix of every case run, in the order of CASES, from each process's part."""
    cases = sorted((v for p in parts for v in p), key=lambda v: v["order"])
    header = matrix_markdown([]).splitlines()
    rows = [r for v in cases for r in v["rows"]]
    out.write_text("\n".join(["```", *(v["summary"] for v in cases), "```", "", *header, *rows, ""]))


def _ids(c: Case) -> str:
    return f"{c.model}/{c.config}"


@pytest.mark.parametrize("case", [pytest.param(c, marks=shared.group(f"{_ids(c)}/sym")) for c in CASES],
                         ids=_ids)
def test_engines_agree(case: Case) -> None:
    # the explorer's search is the one test_manifest re-runs for runs/<model>/<config>/sym
    # (the same worker: the xdist group; tests/shared.py), run once
    a = agree(case, explored=shared.explore(get_model(case.model), case.config))
    _DONE.append(a)
    assert a.ok, "\n".join(str(d) for d in a.disagreements)
    # the case checked something: every property has a verdict from the explorer and BMC
    assert a.rows and all(EXPLORER in r.cells and BMC in r.cells for r in a.rows)


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW_CASES, ids=_ids)
def test_engines_agree_deeper(case: Case) -> None:
    a = agree(case)
    _DONE.append(a)
    assert a.ok, "\n".join(str(d) for d in a.disagreements)


# -- the agreement check can fail --------------------------------------------------------------

def _verdicts(kind: str, x: Cell, b: Cell, k: Cell | None = None, name: str = "p") -> list[str]:
    row = Row(name, kind, {EXPLORER: x, BMC: b} | ({KIND: k} if k else {}))
    found: list[str] = []
    compare_row(row, Case("m", "c", 6), lambda prop, what: found.append(what))
    return found


@pytest.mark.parametrize("x,b,k", [
    (Cell(EXPLORER, "holds"), Cell(BMC, "violated", 5), None),  # BMC finds what BFS did not
    (Cell(EXPLORER, "violated", 4), Cell(BMC, "violated", 5), None),  # not the shortest
    (Cell(EXPLORER, "violated", 4), Cell(BMC, "holds-to-depth", 6), None),  # missed within k
    (Cell(EXPLORER, "violated", 9), Cell(BMC, "proved"), None),  # a proof of a false property
    (Cell(EXPLORER, "violated", 9), Cell(BMC, "holds-to-depth", 6), Cell(KIND, "proved")),
    (Cell(EXPLORER, "violated", 4), Cell(BMC, "violated", 4), Cell(KIND, "violated", 3)),
])
def test_a_disagreement_is_reported(x: Cell, b: Cell, k: Cell | None) -> None:
    assert _verdicts("always", x, b, k)


def test_witness_disagreements_are_reported() -> None:
    assert _verdicts("sometimes", Cell(EXPLORER, "reached", 2), Cell(BMC, "unknown", 6))
    assert _verdicts("sometimes", Cell(EXPLORER, "reached", 9), Cell(BMC, "unknown", 6),
                     Cell(KIND, "vacuous"))
    assert _verdicts("sometimes", Cell(EXPLORER, "vacuous"), Cell(BMC, "reached", 3))
    assert _verdicts("leads_to", Cell(EXPLORER, "holds"), Cell(BMC, "violated", 3))


def test_agreeing_verdicts_pass() -> None:
    assert not _verdicts("always", Cell(EXPLORER, "violated", 4), Cell(BMC, "violated", 4),
                         Cell(KIND, "violated", 4))
    assert not _verdicts("always", Cell(EXPLORER, "violated", 9), Cell(BMC, "holds-to-depth", 6),
                         Cell(KIND, "holds-to-depth", 1))
    assert not _verdicts("always", Cell(EXPLORER, "holds"), Cell(BMC, "holds-to-depth", 6),
                         Cell(KIND, "proved"))
    # a step-kind finding of length k + 1 is within BMC's bound k (the failing step)
    assert _verdicts("transition", Cell(EXPLORER, "violated", 7), Cell(BMC, "holds-to-depth", 6))


def test_a_wrong_encoding_is_caught() -> None:
    """One update dropped from the Z3 encoding: the explorer's lost-update trace no longer
    replays on Z3 and BMC's shortest length changes."""
    system = build(get_model("increment"), "default")
    enc = Encoding(system)
    b = next(b for b in system.bindings if b.action == "write")
    i = next(i for i in b.ir.updates if system.layout.fields[i].name == "x")
    enc.updates[b.id][i] = enc.x[i]  # the store forgets x
    enc._build_trans()
    a = agree(Case("increment", "default", 8, 8), system, enc)
    assert not a.ok
    assert any("does not replay on Z3" in d.what for d in a.disagreements), a.disagreements


def test_a_tampered_explorer_trace_does_not_replay_on_z3() -> None:
    system = build(get_model("increment"), "default")
    ex = Explorer(system)
    ex.run()
    tr = ex.traces["no_lost_update"]
    enc = Encoding(system)
    ob = next(o for o in enc.obligations() if o.name == "no_lost_update")
    assert z3_admits(enc, tr, ob) is None
    steps = list(tr.steps)
    st = dict(steps[-1].state)
    st["x"] = 2 if st["x"] != 2 else 1
    steps[-1] = type(steps[-1])(steps[-1].action, steps[-1].args, steps[-1].who, st)
    bad = Trace(tr.model, tr.fingerprint, tr.config, tr.engine, tr.property, tr.kind, steps)
    assert "has no transition" in (z3_admits(enc, bad, ob) or "")
