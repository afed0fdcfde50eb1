"""Equivalence modulo dead fields (checks/deadfields.py): a mutant that only changes what a
step stores into a local no later step reads before rewriting it is equivalent; one that
changes a local a later step reads is not.  The Python path and the C schemata agree.

The toy: one context copies ``x`` into its local ``tmp`` (pc 0 -> 1), then stores ``tmp + 1``
back and returns, resetting ``tmp`` (pc 1 -> 0), as a kernel function's locals die at its
return.  At pc 0 ``tmp`` is dead: the next call's first step overwrites it.
"""

from __future__ import annotations

import pytest

from ppcheck.checks import deadfields as df
from ppcheck.checks import mutate as mt
from ppcheck.spec import Int, Model, Record, action, always, build, require, sometimes


class CopyState(Record):
    x = Int(0, 3)
    pc = Int(0, 1)
    tmp = Int(0, 3)  # the context's local: read at pc 1 only


class Copy(Model):
    """x += 1 done as a load into a local and a store back (a kernel function's two steps)."""

    name = "mutate_dead_copy"
    State = CopyState

    @action
    def load(self, s):
        require((s.pc == 0) & (s.x < 3))
        s.tmp = s.x
        s.pc = 1

    @action
    def store(self, s):
        require(s.pc == 1)
        s.x = s.tmp + 1
        s.tmp = 0  # the local dies at the return: a dead store
        s.pc = 0

    @always
    def x_bounded(self, s):
        return s.x <= 3

    @sometimes
    def reaches_three(self, s):
        return s.x == 3


def _names(system, fields):
    names = system.layout.names()
    return sorted(names[f] for f in fields)


def test_the_local_is_dead_at_the_return_only():
    s = build(Copy, Copy.config("default"))
    an = df.Analysis(s)
    facts = an.facts([(b, b.label()) for b in s.bindings])
    ix = {n: i for i, n in enumerate(s.layout.names())}
    assert _names(s, facts.dead.get((ix["pc"], 0), ())) == ["tmp"]
    assert "tmp" not in _names(s, facts.dead.get((ix["pc"], 1), ()))


def _results(backend):
    pr = mt.probe(Copy, [Copy.config("default")])
    muts = list(enumerate(mt.plan(pr)))
    if backend == "native":
        from ppcheck.checks import mutate_native as mn

        res, interrupted = mn.run_all(pr, muts, 30.0)
    else:
        res, interrupted = mt.run_all(pr, muts, 30.0)
    assert not interrupted
    return {r.label: r for r in res}


@pytest.mark.parametrize("backend", ["python", "native"])
def test_dead_store_is_equivalent_live_store_is_not(backend):
    if backend == "native":
        from ppcheck.checks.native import unavailable

        if unavailable():
            pytest.skip(unavailable())
    res = _results(backend)
    dead = res["drop update `tmp = 0`"]  # the seeded pair: a dead local ...
    assert dead.status == mt.EQUIVALENT, dead
    assert dead.detail == "identical successors modulo dead fields on every reachable state"
    assert dead.per_config == {"default": mt.DEAD_EQUIV}
    live = res["drop update `tmp = x`"]  # ... and a live one: store() reads tmp
    assert live.status == mt.KILLED and live.property == "reaches_three", live


def test_python_and_native_agree_on_every_mutant():
    from ppcheck.checks.native import unavailable

    if unavailable():
        pytest.skip(unavailable())
    py, nat = _results("python"), _results("native")
    # the verdicts, and why each equivalent one is (a kill's detail names the first
    # violation each engine meets: it may differ)
    def key(r):
        return r.status, r.detail if r.status == mt.EQUIVALENT else ""

    assert {k: key(r) for k, r in py.items()} == {k: key(r) for k, r in nat.items()}
    assert sum(r.detail.endswith("modulo dead fields on every reachable state")
               for r in py.values()) >= 1


@pytest.mark.slow  # minutes: the Python test explores frag without symmetry
def test_mainline_finish_paths_agree():
    """mainline/frag, every mutant of finish() in page_pool_return_put() (the locals cleared
    at the return): the Python test and pp_equiv_dead give the same answer on each, and
    some are equivalent only modulo dead fields (``direct`` set at the return: the next call
    rewrites it first) while others are not (``page`` is read at READY by page_in_one_place)."""
    import time

    from ppcheck.checks import mutate_native as mn
    from ppcheck.checks.native import unavailable
    from ppcheck.models import get_model
    from ppcheck.spec.mutation import build_mutant

    if unavailable():
        pytest.skip(unavailable())
    model = get_model("mainline")
    cfg = model.config("frag")
    pr = mt.probe(model, [cfg], backend="native")
    base = pr.bases[0]
    muts = [(i, m) for i, m in enumerate(mt.plan(pr)) if m.site.action == "page_pool_return_put"
            and "ctx." in m.site.text and m.operator in ("const", "drop_update")
            and m.site.where.startswith("models/mainline/base.py:2")]
    assert len(muts) >= 6
    prep = mn.prepare(pr, muts)
    py, nat = {}, {}
    for i, m in muts:
        sysm = build_mutant(model, m, cfg, base.system)
        py[m.id] = bool(mt.same_successors(base, sysm, time.perf_counter() + 300)
                        or mt.same_successors_dead(base, sysm, time.perf_counter() + 300))
        got = prep.where.get(("frag", i))
        nat[m.id] = got is None or got[0].equivalent(got[1]) or got[0].equivalent_dead(got[1])
    assert py == nat
    assert nat["page_pool_return_put:update14:const:-1,1"]  # direct = True at the return
    assert not all(nat.values())
