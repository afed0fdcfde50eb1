"""The spec language: tracing, guards, frames, sorts, and the errors it must raise."""

from __future__ import annotations

import enum

import pytest

from ppcheck.checks.explorer import Concrete, Explorer
from ppcheck.spec import (
    Array,
    Bool,
    Enum,
    Int,
    Model,
    Record,
    Ref,
    SpecError,
    UInt,
    action,
    all_,
    always,
    assert_,
    build,
    ite,
    require,
    serial_distance,
    when,
)
from ppcheck.spec.expr import evaluate, render


class Colour(enum.IntEnum):
    RED = 0
    GREEN = 1


class Cell(Record):
    v = Int(0, 3)
    on = Bool()


class S(Record):
    a = Int(0, 5)
    b = Int(0, 5)
    c = UInt(3)
    colour = Enum(Colour)
    ptr = Ref("cells")
    cells = Array(Cell, 3)


class Base(Model):
    name = "base"
    State = S

    def init(self, s):
        s.a = 1

    @action
    def seq(self, s):
        """Reads after writes see the new value."""
        require(s.a < 5)
        s.a = s.a + 1
        s.b = s.a * 2 - 2

    @action
    def wrap(self, s):
        s.c = s.c + 7

    @action(i="cells")
    def point(self, s, i):
        s.ptr = i

    @action
    def poke(self, s):
        require(s.ptr != Ref.NONE)
        s.cells[s.ptr].v = ite(s.cells[s.ptr].v < 3, s.cells[s.ptr].v + 1, 0)

    @action
    def cond(self, s):
        with when(s.colour == Colour.RED):
            s.colour = Colour.GREEN
            s.b = 0

    @always
    def b_small(self, s):
        return s.b <= 5


def _step(system, name, s):
    b = next(b for b in system.bindings if b.action == name)
    return Concrete(system).step(s, b)


def _vals(system, s):
    return dict(zip(system.layout.names(), system.layout.unpack(s)))


def test_reads_after_writes_and_derived_frame():
    sysm = build(Base)
    s0 = sysm.init_states[0]
    t, err = _step(sysm, "seq", s0)
    assert err is None
    v = _vals(sysm, t)
    assert v["a"] == 2 and v["b"] == 2
    # every field the action does not assign is unchanged
    before = _vals(sysm, s0)
    assert {k: x for k, x in v.items() if k not in ("a", "b")} == {
        k: x for k, x in before.items() if k not in ("a", "b")}
    b = next(b for b in sysm.bindings if b.action == "seq")
    assert set(sysm.layout.fields[i].name for i in b.ir.updates) == {"a", "b"}


def test_uint_wraps_around():
    sysm = build(Base)
    s = sysm.init_states[0]
    s, _ = _step(sysm, "wrap", s)
    s, _ = _step(sysm, "wrap", s)
    assert _vals(sysm, s)["c"] == (7 + 7) % 8


def test_symbolic_index_read_and_write():
    sysm = build(Base)
    conc = Concrete(sysm)
    s = sysm.init_states[0]
    poke = next(b for b in sysm.bindings if b.action == "poke")
    assert conc.step(s, poke) == (None, None)  # ptr is NONE: not enabled
    point2 = next(b for b in sysm.bindings if b.action == "point" and b.args["i"] == 2)
    s, _ = conc.step(s, point2)
    for expect in (1, 2, 3, 0):
        s, err = conc.step(s, poke)
        assert err is None
        v = _vals(sysm, s)
        assert v["cells[2].v"] == expect and v["cells[0].v"] == 0 and v["cells[1].v"] == 0


def test_when_makes_assignments_conditional():
    sysm = build(Base)
    s, _ = _step(sysm, "cond", sysm.init_states[0])
    assert _vals(sysm, s)["colour"] == Colour.GREEN
    s2, _ = _step(sysm, "cond", s)
    assert s2 == s  # enabled, but changes nothing once GREEN


def test_python_truthiness_on_state_raises():
    class Bad(Base):
        name = "bad"

        @action
        def seq(self, s):
            if s.a == 0:  # the z3py trap: must not silently pick a branch
                s.b = 1

    with pytest.raises(SpecError, match="truth value"):
        build(Bad)


@pytest.mark.parametrize("body, match", [
    (lambda s: setattr(s, "a", s.colour == Colour.RED), "boolean to the integer"),
    (lambda s: require(s.a + 1), "boolean condition"),
    (lambda s: setattr(s, "a", s.a + (s.b < 2)), "arithmetic"),
    (lambda s: s.cells[7], "out of range"),
    (lambda s: s.nosuch, "no field"),
    (lambda s: list(range(s.a)), "concrete int"),
    (lambda s: 0 <= s.a <= 3, "truth value"),
])
def test_definition_time_errors(body, match):
    class Bad(Base):
        name = "bad"

        @action
        def seq(self, s):
            body(s)

    with pytest.raises(SpecError, match=match):
        build(Bad)


def test_out_of_domain_assignment_is_a_violation_with_trace():
    class Overflow(Base):
        name = "overflow"

        @action
        def seq(self, s):
            s.a = s.a + 1  # a is 0..5: the sixth increment leaves the domain

    ex = Explorer(build(Overflow), symmetry=False)
    run = ex.run()
    res = {r.name: r for r in run.results}
    assert res["action_assertions"].status == "violated"
    tr = ex.traces["action_assertions"]
    assert tr.steps[-1].action == "seq" and "domain of a" in tr.steps[-1].error
    assert tr.steps[-1].state is None
    assert tr.length == 5  # a: 1 -> 5 takes four steps, the fifth overflows


def test_assert_failure_is_reported():
    class Warn(Base):
        name = "warn"

        @action
        def wrap(self, s):
            assert_(s.c < 6, "WARN_ON(c >= 6)")
            s.c = s.c + 7

    ex = Explorer(build(Warn), symmetry=False)
    run = ex.run()
    assert {r.name: r.status for r in run.results}["action_assertions"] == "violated"
    tr = ex.traces["action_assertions"]
    # c: 0 -> 7 (wraps at 8), then the second wrap() warns
    assert tr.length == 2 and tr.steps[-1].error == "assert: WARN_ON(c >= 6)"


def test_subclass_overrides_and_removes():
    class Variant(Base):
        name = "variant"
        cond = None  # removed

        @action
        def wrap(self, s):
            s.c = s.c + 1

    sysm = build(Variant)
    assert "cond" not in {b.action for b in sysm.bindings}
    s, _ = _step(sysm, "wrap", sysm.init_states[0])
    assert _vals(sysm, s)["c"] == 1
    assert build(Base).fingerprint != sysm.fingerprint


def test_plain_method_overriding_an_action_is_an_error():
    class Oops(Base):
        name = "oops"

        def wrap(self, s):  # forgot @action
            pass

    with pytest.raises(SpecError, match="without @action"):
        build(Oops)


def test_unknown_config_and_parameter():
    with pytest.raises(SpecError, match="no configuration"):
        Base.config("nope")
    with pytest.raises(SpecError, match="no parameter"):
        Base.config("default", zz=1)


def test_serial_distance_matches_kernel_s32_cast():
    for bits in (3, 8):
        m = 1 << bits
        for a in range(m):
            for b in range(m):
                e = serial_distance(a, b, bits)
                v = evaluate(e, [])
                # (sN)(a - b): the signed reinterpretation of the wrapped difference
                d = (a - b) % m
                assert v == (d - m if d >= m // 2 else d)


def test_fingerprint_is_stable_and_render_is_readable():
    assert build(Base).fingerprint == build(Base).fingerprint
    sysm = build(Base)
    b = next(b for b in sysm.bindings if b.action == "seq")
    assert render(b.ir.guard, sysm.layout.names()) == "(a < 5)"


def test_all_of_nothing_is_true():
    assert evaluate(all_([]), []) == 1
