"""Interval analysis: sound bounds of an integer expression given bounds of the fields.

The compiled backends use it to know which updates cannot leave their field's domain; the
tracer uses it to know which reads through a symbolic index may go out of the array's range.
"""

from __future__ import annotations

from collections.abc import Callable

from .expr import Expr, digest


def intervals_from_guard(guard: Expr, dom: dict[int, tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Tighten field intervals with top-level guard conjuncts ``field <op> const``."""
    out = dict(dom)
    conj = guard.args if guard.op == "and" else (guard,)
    for c in conj:
        if c.op not in ("lt", "le", "eq"):
            continue
        a, b = c.args
        if a.op == "var" and b.op == "const":
            lo, hi = out[a.value]
            v = b.value
            if c.op == "lt":
                hi = min(hi, v - 1)
            elif c.op == "le":
                hi = min(hi, v)
            else:
                lo, hi = max(lo, v), min(hi, v)
            out[a.value] = (lo, hi)
        elif b.op == "var" and a.op == "const":
            lo, hi = out[b.value]
            v = a.value
            if c.op == "lt":
                lo = max(lo, v + 1)
            elif c.op == "le":
                lo = max(lo, v)
            else:
                lo, hi = max(lo, v), min(hi, v)
            out[b.value] = (lo, hi)
    return out


_TOP = (-(1 << 62), 1 << 62)
Interval = tuple[int, int]


def _mod_interval(n: Expr, a: list[Interval], dom: dict[int, Interval]) -> Interval:
    m = n.args[1]
    if m.op == "const" and m.value > 0:
        lo, hi = a[0]
        return (lo, hi) if lo >= 0 and hi < m.value else (0, m.value - 1)
    return _TOP


def _mul_interval(n: Expr, a: list[Interval], dom: dict[int, Interval]) -> Interval:
    (p, q), (r, t) = a
    ps = [p * r, p * t, q * r, q * t]
    return (min(ps), max(ps))


#: sound bounds of each integer operator of :data:`~ppcheck.spec.expr.OPS` (a boolean node is
#: (0, 1) whatever its operator): ``(node, argument intervals, field intervals) -> interval``
INTERVAL_OP_TABLE: dict[str, Callable[[Expr, list[Interval], dict[int, Interval]], Interval]] = {
    "const": lambda n, a, dom: (n.value, n.value),
    "var": lambda n, a, dom: dom[n.value],
    "next": lambda n, a, dom: dom[n.value],
    "add": lambda n, a, dom: (a[0][0] + a[1][0], a[0][1] + a[1][1]),
    "sub": lambda n, a, dom: (a[0][0] - a[1][1], a[0][1] - a[1][0]),
    "mul": _mul_interval,
    "neg": lambda n, a, dom: (-a[0][1], -a[0][0]),
    "mod": _mod_interval,
    "min": lambda n, a, dom: (min(a[0][0], a[1][0]), min(a[0][1], a[1][1])),
    "max": lambda n, a, dom: (max(a[0][0], a[1][0]), max(a[0][1], a[1][1])),
    **dict.fromkeys(("eq", "ne", "lt", "le", "and", "or", "not"), lambda n, a, dom: (0, 1)),
    "ite": lambda n, a, dom: (min(a[1][0], a[2][0]), max(a[1][1], a[2][1])),
}


def interval(e: Expr, dom: dict[int, Interval]) -> Interval:
    """Sound bounds of an integer expression given field intervals."""
    memo: dict[int, Interval] = {}

    def iv(n: Expr) -> Interval:
        k = id(n)
        if k not in memo:
            if n.sort == "bool" and n.op != "const":
                memo[k] = (0, 1)
            elif n.op == "ite":  # the condition is boolean: only the branches bound the value
                memo[k] = INTERVAL_OP_TABLE["ite"](n, [(0, 1), iv(n.args[1]), iv(n.args[2])], dom)
            else:
                memo[k] = INTERVAL_OP_TABLE[n.op](n, [iv(a) for a in n.args], dom)
        return memo[k]

    return iv(e)


# -- reads through a symbolic index: may the index leave the array's range? ----------------

#: a read to check: (the read's node, its index, the array's size, a label for messages)
Read = tuple[Expr, Expr, int, str]
_NEG = {"eq": "ne", "ne": "eq", "lt": "ge", "le": "gt", "ge": "lt", "gt": "le"}
_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge"}


def _atoms(c: Expr, positive: bool) -> list[tuple[Expr, str, int]]:
    """What assuming ``c`` (or its negation) says in the form ``term <op> constant``."""
    if c.op == "not":
        return _atoms(c.args[0], not positive)
    if (c.op == "and" and positive) or (c.op == "or" and not positive):
        return [a for x in c.args for a in _atoms(x, positive)]
    if c.op not in _FLIP:
        return []
    a, b = c.args
    if b.op == "const" and a.op != "const":
        term, op, v = a, c.op, b.value
    elif a.op == "const" and b.op != "const":
        term, op, v = b, _FLIP[c.op], a.value
    else:
        return []
    return [(term, op if positive else _NEG[op], v)]


def _refine(lo: int, hi: int, atoms: list[tuple[str, int]]) -> tuple[int, int]:
    changed = True
    while changed and lo <= hi:
        changed = False
        for op, v in atoms:
            new = {"eq": (max(lo, v), min(hi, v)), "lt": (lo, min(hi, v - 1)),
                   "le": (lo, min(hi, v)), "gt": (max(lo, v + 1), hi), "ge": (max(lo, v), hi),
                   "ne": (lo + (v == lo), hi - (v == hi))}[op]
            if new != (lo, hi):
                lo, hi, changed = new[0], new[1], True
    return lo, hi


def unguarded_reads(roots: list[tuple[Expr, list[Expr]]], reads: dict[int, Read],
                    dom: dict[int, Interval]) -> list[tuple[Read, Interval]]:
    """The reads of ``reads`` whose index may be out of range where their value is used.

    Each root is an expression and the conditions assumed when its value matters (an update
    assumes the guard).  Inside, ``and``/``or`` assume their earlier operands (true, false),
    an ``ite`` branch its condition (true, false): a read is guarded where its value matters.
    """
    shapes: dict[int, str] = {}
    marked: dict[int, bool] = {}
    atoms: dict[tuple[int, bool], list[tuple[Expr, str, int]]] = {}
    seen: set[tuple[int, tuple[tuple[int, bool], ...]]] = set()
    bad: dict[int, tuple[Read, Interval]] = {}

    def has_read(n: Expr) -> bool:
        k = id(n)
        if k not in marked:
            marked[k] = k in reads or any(has_read(a) for a in n.args)
        return marked[k]

    def check(read: Read, facts: tuple[tuple[Expr, bool], ...]) -> None:
        _node, idx, size, _label = read
        lo, hi = interval(idx, dom)
        want = digest(idx, shapes)
        found: list[tuple[str, int]] = []
        for c, pos in facts:
            got = atoms.setdefault((id(c), pos), _atoms(c, pos))
            found += [(op, v) for t, op, v in got if digest(t, shapes) == want]
        lo, hi = _refine(lo, hi, found)
        if lo <= hi and (lo < 0 or hi >= size):
            bad.setdefault(id(read[0]), (read, (lo, hi)))

    def visit(n: Expr, facts: tuple[tuple[Expr, bool], ...]) -> None:
        if not has_read(n):
            return
        key = (id(n), tuple((id(c), p) for c, p in facts))
        if key in seen:
            return
        seen.add(key)
        if id(n) in reads:
            check(reads[id(n)], facts)
        if n.op in ("and", "or"):
            for i, a in enumerate(n.args):
                visit(a, facts + tuple((x, n.op == "and") for x in n.args[:i]))
        elif n.op == "ite":
            c, t, f = n.args
            visit(c, facts)
            visit(t, (*facts, (c, True)))
            visit(f, (*facts, (c, False)))
        else:
            for a in n.args:
                visit(a, facts)

    for root, assumed in roots:
        visit(root, tuple((c, True) for c in assumed))
    return list(bad.values())
