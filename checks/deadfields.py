"""Dead fields: which state fields no later step or property reads before it rewrites them.

A mutant that only changes what a step stores into a field nobody reads again (a local that
``finish()`` resets, a stale word of a freed page) has a different reachable state graph,
so exact equivalence calls it a survivor although nothing can observe the difference.  This
module computes, exactly on the traced IR, facts ``(c, v, f)``: *when control field c holds
v, field f is dead*, and the projection that clears dead fields.  Equivalence modulo dead
fields (:mod:`.mutate`, :mod:`.mutate_native`) compares successors after the projection.

The facts are the greatest fixpoint of these conditions, checked for every binding ``b`` of
the original *and* of the mutant, on its IR with ``var c`` replaced by ``v`` and constants
folded (so ``ite(pc == 3, ...)`` selects its branch, and a guard that needs another pc
disables the binding):

* no observation reads f: the guard, the assertions, and every update's conditions and
  stored values (an update whose value is the field itself, ``ite(x, 0, f)``'s ``f``, is
  the field kept, not a read);
* a field b keeps (not updated, or kept on some path of its update) stays dead: on every
  value v' that b may store into c (one constant per path; unknown otherwise), (c, v', f)
  is a fact too;
* no kernel property (always, witness, transition on either state, leads_to's two
  predicates) reads f when c == v.  Proof lemmas are not observations: a lemma states a
  fact about the model's bookkeeping, not a kernel truth.

Control fields are the fields a guard compares with a constant at its top level; a control
field is never dead.  Then the relation "equal after clearing the dead fields" is a
bisimulation of both systems that every observation respects, so if on every reachable
state of the original the mutant's successors, binding by binding, equal the original's
after the projection (and their errors are the same), the two reachable graphs are equal
up to dead fields: no property, assertion, domain or coverage can tell them apart.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from ppcheck.spec.expr import OP_TABLE, Expr, digest, fields_read
from ppcheck.spec.model import ALWAYS, LEADS_TO, SOMETIMES, TRANSITION, Binding, System

#: a control field's domain is at most this big (the C mask table has 2**width rows)
MAX_CONTROL_VALUES = 64


def _c(sort: str, v: int) -> Expr:
    return Expr("const", (), sort, int(v))


def _same(a: Expr, b: Expr, dig: dict[int, str]) -> bool:
    if a is b:
        return True
    if a.op in ("var", "const", "next") or b.op in ("var", "const", "next"):
        return a.op == b.op and a.value == b.value and not a.args and not b.args
    return digest(a, dig) == digest(b, dig)


def fold(e: Expr, var: dict[int, int], nxt: dict[int, Expr], memo: dict[int, Expr],
         dig: dict[int, str] | None = None) -> Expr:
    """``e`` with ``var i`` replaced by the constant ``var[i]`` and ``next i`` by the
    expression ``nxt[i]``, constants folded (and ``x == x``, ``x != x`` decided)."""
    k = id(e)
    got = memo.get(k)
    if got is not None:
        return got
    if dig is None:
        dig = {}
    op = e.op
    if op == "var":
        r = _c(e.sort, var[e.value]) if e.value in var else e
    elif op == "next":
        r = nxt.get(e.value, e)
    elif op == "const":
        r = e
    elif op == "ite":
        c = fold(e.args[0], var, nxt, memo, dig)
        if c.op == "const":
            r = fold(e.args[1] if c.value else e.args[2], var, nxt, memo, dig)
        else:
            a, b = fold(e.args[1], var, nxt, memo, dig), fold(e.args[2], var, nxt, memo, dig)
            same = c is e.args[0] and a is e.args[1] and b is e.args[2]
            r = e if same else Expr("ite", (c, a, b), e.sort)
    elif op in ("and", "or"):
        stop = 0 if op == "and" else 1
        kept: list[Expr] = []
        r = None
        for a in e.args:
            x = fold(a, var, nxt, memo, dig)
            if x.op == "const":
                if bool(x.value) == bool(stop):
                    r = _c(e.sort, stop)
                    break
                continue
            kept.append(x)
        if r is None:
            if not kept:
                r = _c(e.sort, 1 - stop)
            elif len(kept) == 1:
                r = kept[0]
            else:
                r = Expr(op, tuple(kept), e.sort)
    else:
        args = tuple(fold(a, var, nxt, memo, dig) for a in e.args)
        r = e if all(x is y for x, y in zip(args, e.args)) else Expr(op, args, e.sort)
        if op in ("eq", "ne", "le") and _same(args[0], args[1], dig):
            r = _c(e.sort, int(op != "ne"))
        elif all(a.op == "const" for a in args):
            with contextlib.suppress(ZeroDivisionError, KeyError):
                r = _c(e.sort, OP_TABLE[op](e, [a.value for a in args], [], None))
    memo[k] = r
    return r


def _leaves(e: Expr, conds: list[Expr], out: list[Expr]) -> None:
    """The values an (ite-tree) update may store, and the conditions that select them."""
    if e.op == "ite":
        conds.append(e.args[0])
        _leaves(e.args[1], conds, out)
        _leaves(e.args[2], conds, out)
    else:
        out.append(e)


def controls(system: System) -> list[int]:
    """Fields some guard compares with a constant at its top level (small domains only)."""
    out: set[int] = set()
    for b in system.bindings:
        g = b.ir.guard
        for x in (g.args if g.op == "and" else (g,)):
            if x.op in ("eq", "ne") and x.args[0].op == "var" and x.args[1].op == "const":
                out.add(x.args[0].value)
    lay = system.layout
    return sorted(i for i in out if lay.fields[i].hi - lay.fields[i].lo < MAX_CONTROL_VALUES)


@dataclass
class Summary:
    """What one binding does to the facts of one (control, value): None when it cannot fire."""

    reads: frozenset[int]
    #: field -> the values the binding may store into the control on a path that keeps the
    #: field (None: unknown); fields that no path keeps are absent
    keeps: dict[int, frozenset[int] | None]


def summarize(b: Binding, c: int, v: int, transitions: list[Expr] = ()) -> Summary | None:
    """:class:`Summary` of ``b`` when control ``c`` holds ``v``; ``transitions``: the
    two-state properties, composed with the binding (``next i`` is what it stores in i)."""
    memo: dict[int, Expr] = {}
    env = {c: v}
    g = fold(b.ir.guard, env, {}, memo)
    if g.op == "const" and not g.value:
        return None
    reads = set(fields_read(g))
    if transitions:
        dig: dict[int, str] = {}
        post = {i: fold(e, env, {}, memo, dig) for i, e in b.ir.updates.items()}
        for p in transitions:
            nxt = {n.value: post.get(n.value, Expr("var", (), n.sort, n.value))
                   for n in _walk(p) if n.op == "next"}
            reads |= fields_read(fold(p, env, nxt, {}, dig))
    for cond, _ in b.ir.assertions:
        reads |= fields_read(fold(cond, env, {}, memo))
    kept_paths: dict[int, bool] = {}
    for i, e in b.ir.updates.items():
        conds: list[Expr] = []
        leaves: list[Expr] = []
        _leaves(fold(e, env, {}, memo), conds, leaves)
        for x in conds:
            reads |= fields_read(x)
        keep = False
        for x in leaves:
            if x.op == "var" and x.value == i:
                keep = True
            else:
                reads |= fields_read(x)
        kept_paths[i] = keep
    # the values stored into the control
    if c in b.ir.updates:
        conds, leaves = [], []
        _leaves(fold(b.ir.updates[c], env, {}, memo), conds, leaves)
        vals: set[int] | None = set()
        for x in leaves:
            if x.op == "const":
                vals.add(x.value)
            elif x.op == "var" and x.value == c:
                vals.add(v)
            else:
                vals = None
                break
        post = frozenset(vals) if vals is not None else None
    else:
        post = frozenset((v,))
    # key -1: every field the binding does not update is kept
    keeps: dict[int, frozenset[int] | None] = {i: post for i, k in kept_paths.items() if k}
    keeps[-1] = post
    return Summary(frozenset(reads), keeps)


@dataclass
class Facts:
    """The dead fields of every (control, value): the projection's table."""

    dead: dict[tuple[int, int], frozenset[int]] = field(default_factory=dict)

    def any(self) -> bool:
        return any(self.dead.values())


class Analysis:
    """The per-binding summaries of one System (cached across mutants) and the fixpoint."""

    def __init__(self, system: System, observe_lemmas: bool = False,
                 states: Iterable[int] | None = None):
        self.system = system
        lay = system.layout
        self.n = len(lay.fields)
        self.ctl = controls(system)
        self.values = {c: range(0, lay.fields[c].hi - lay.fields[c].lo + 1) for c in self.ctl}
        self.lo = {c: lay.fields[c].lo for c in self.ctl}
        self._cache: dict[tuple[str, int, int], Summary | None] = {}
        self._reach: _Valuations | None = None
        if states is not None:
            self._reach = _Valuations(system, self.ctl, states)
        self.prop_reads: dict[tuple[int, int], frozenset[int]] = {}
        self.transitions = [p.expr for p in system.properties if p.kind == TRANSITION
                            and (observe_lemmas or not p.lemma) and p.expr is not None]
        #: the indices of the observed transition properties (the C test compares them)
        self.transition_ids = [k for k, p in enumerate(system.properties) if p.kind == TRANSITION
                               and (observe_lemmas or not p.lemma) and p.expr is not None]
        for c in self.ctl:
            for r in self.values[c]:
                v = r + self.lo[c]
                got: set[int] = set()
                for p in system.properties:
                    if p.lemma and not observe_lemmas:
                        continue
                    if p.kind == TRANSITION:  # composed with each binding (summarize)
                        continue
                    exprs = [p.expr] if p.kind in (ALWAYS, SOMETIMES) else [p.pre, p.post]
                    for e in exprs:
                        if e is not None:
                            got |= fields_read(fold(e, {c: v}, {}, {}))
                    if p.kind not in (ALWAYS, SOMETIMES, LEADS_TO):  # pragma: no cover
                        got |= set(range(self.n))
                self.prop_reads[(c, v)] = frozenset(got)

    def summary(self, b: Binding, key: str, c: int, v: int) -> Summary | None:
        k = (key, c, v)
        if k not in self._cache:
            if self._reach is not None and not self._reach.fires(b, key, c, v):
                self._cache[k] = None
            else:
                self._cache[k] = summarize(b, c, v, self.transitions)
        return self._cache[k]

    def facts(self, bindings: list[tuple[Binding, str]]) -> Facts:
        """The greatest fixpoint over ``bindings`` (each with a key naming its IR)."""
        ctl = set(self.ctl)
        dead: dict[tuple[int, int], set[int]] = {}
        sums: dict[tuple[int, int], list[tuple[Summary, frozenset[int]]]] = {}
        for c in self.ctl:
            for r in self.values[c]:
                v = r + self.lo[c]
                d = set(range(self.n)) - ctl - self.prop_reads[(c, v)]
                ss = []
                for b, key in bindings:
                    s = self.summary(b, key, c, v)
                    if s is None:
                        continue
                    d -= s.reads
                    ss.append((s, frozenset(b.ir.updates)))
                dead[(c, v)] = d
                sums[(c, v)] = ss
        changed = True
        while changed:
            changed = False
            for (c, v), d in dead.items():
                if not d:
                    continue
                drop: set[int] = set()
                for s, upd in sums[(c, v)]:
                    untouched = s.keeps[-1]
                    for f in d:
                        if f in drop:
                            continue
                        post = s.keeps.get(f, untouched) if (f not in upd or f in s.keeps) else ()
                        if post is None or any(f not in dead.get((c, w), ()) for w in post):
                            drop.add(f)
                if drop:
                    d -= drop
                    changed = True
        return Facts({k: frozenset(d) for k, d in dead.items() if d})

    def masks(self, facts: Facts) -> tuple[list[int], dict[int, list[int]]]:
        """For the projection: the controls that have a fact, and per control a bit mask of
        the dead fields for each raw value (index ``value - lo``)."""
        lay = self.system.layout
        out: dict[int, list[int]] = {}
        for c in self.ctl:
            rows = []
            for r in range(1 << lay.fields[c].width):
                m = 0
                for f in facts.dead.get((c, r + self.lo[c]), ()):
                    fl = lay.fields[f]
                    m |= ((1 << fl.width) - 1) << fl.offset
                rows.append(m)
            if any(rows):
                out[c] = rows
        return sorted(out), out


class _Valuations:
    """The control fields' values in the original's reachable states, as bit sets over the
    distinct valuations: which (control, value) a binding's control literals allow.

    Why this is exact: the relation pairs a reachable state t of the original with the states
    t' equal to it outside the fields dead in t.  Control fields are never dead, so t' has t's
    control values, and a guard conjunct ``c == k`` or ``c != k`` on a control is false at t'
    when it is false at t: a binding whose control literals no reachable valuation with
    c == v satisfies cannot fire in a related state where c == v.  (By induction from the same
    initial states, every state the mutant reaches is related to one the original reaches:
    that is what the per-state test checks.)"""

    def __init__(self, system: System, ctl: list[int], states: Iterable[int]):
        lay = system.layout
        fs = [lay.fields[c] for c in ctl]
        mask = 0
        for f in fs:
            mask |= ((1 << f.width) - 1) << f.offset
        distinct = {s & mask for s in states}
        self.ctl = set(ctl)
        self.lo = {c: lay.fields[c].lo for c in ctl}
        self.bits: dict[tuple[int, int], int] = {}
        for j, s in enumerate(sorted(distinct)):
            for c, f in zip(ctl, fs):
                v = ((s >> f.offset) & ((1 << f.width) - 1)) + f.lo
                self.bits[(c, v)] = self.bits.get((c, v), 0) | (1 << j)
        self.all = (1 << len(distinct)) - 1
        self._lit: dict[str, int] = {}

    def _literals(self, b: Binding) -> int:
        g = b.ir.guard
        m = self.all
        for x in (g.args if g.op == "and" else (g,)):
            if x.op in ("eq", "ne") and x.args[0].op == "var" and x.args[1].op == "const" \
                    and x.args[0].value in self.ctl:
                c, k = x.args[0].value, x.args[1].value
                eq = self.bits.get((c, k), 0)
                m &= eq if x.op == "eq" else self.all & ~eq
        return m

    def fires(self, b: Binding, key: str, c: int, v: int) -> bool:
        if key not in self._lit:
            self._lit[key] = self._literals(b)
        return bool(self._lit[key] & self.bits.get((c, v), 0))


def _walk(e: Expr) -> list[Expr]:
    from ppcheck.spec.expr import walk

    return list(walk(e))


def project(s: int, system: System, ctl: list[int], rows: dict[int, list[int]]) -> int:
    """``s`` with the dead fields cleared (raw value 0), the controls read before clearing."""
    lay = system.layout
    m = 0
    for c in ctl:
        f = lay.fields[c]
        m |= rows[c][(s >> f.offset) & ((1 << f.width) - 1)]
    return s & ~m
