"""Tracing: run an action once against a symbolic state view and record its IR.

Inside an action, ``s.pool.alloc_count`` reads the field's current expression and
``s.pool.alloc_count = e`` records an update; reads after writes see the new value
(an action is one atomic step with sequential code inside it).  ``require(c)`` adds a
guard conjunct, ``assert_(c, msg)`` an assertion that must hold whenever the guard
does (a kernel ``WARN_ON``), and ``with when(c):`` makes the assignments inside it
conditional.  Fields never assigned are unchanged: the frame is derived, never written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .bounds import Read, interval, unguarded_reads
from .expr import BOOL, FALSE, FIELD_NAMES, HOOKS, TRUE, Expr, SpecError, implies, ite, lift, mk, render
from .schema import ArrayShape, Layout, RecordShape


@dataclass
class Traced:
    """The IR of one action binding (or one init binding)."""

    guard: Expr
    updates: dict[int, Expr]  # field index -> new value (pre-state expressions)
    assertions: list[tuple[Expr, str]] = field(default_factory=list)


class _Recorder:
    def __init__(self, layout: Layout, base: list[Expr]):
        self.layout = layout
        self.env = list(base)
        self.base = base
        self.guard: list[Expr] = []
        self.assertions: list[tuple[Expr, str]] = []
        self.path: list[Expr] = []
        #: bare reads through a symbolic index that may leave the array (checked at the end)
        self.reads: dict[int, Read] = {}

    def cond(self) -> Expr:
        return mk("and", *self.path) if self.path else TRUE

    def read(self, idx: int) -> Expr:
        return self.env[idx]

    def write(self, idx: int, v: Any) -> None:
        f = self.layout.fields[idx]
        e = lift(v)
        if f.sort == BOOL and e.sort != BOOL:
            if e.op == "const" and e.value in (0, 1):
                e = lift(bool(e.value))
            else:
                raise SpecError(f"assigning an integer to the boolean field {f.name}")
        if f.sort != BOOL and e.sort == BOOL:
            raise SpecError(f"assigning a boolean to the integer field {f.name}")
        if f.wrap_bits:
            e = mk("mod", e, 1 << f.wrap_bits)
        if self.path:
            e = ite(self.cond(), e, self.env[idx])
        self.env[idx] = e


_active: list[_Recorder] = []


def current_layout() -> Layout | None:
    """The layout of the action or property being traced now (None outside tracing)."""
    return _active[-1].layout if _active else None


def _rec() -> _Recorder:
    if not _active:
        raise SpecError("require()/when()/assert_() used outside an action being traced")
    return _active[-1]


def require(c: Any) -> None:
    """Guard: the action is enabled only when ``c`` holds (on the state so far)."""
    r = _rec()
    e = lift(c)
    if e.sort != BOOL:
        raise SpecError("require() needs a boolean condition")
    if HOOKS:
        e = HOOKS[-1].require(e)
    r.guard.append(implies(r.cond(), e) if r.path else e)


def assert_(c: Any, message: str) -> None:
    """An assertion inside an action (a kernel WARN_ON/BUG_ON): a violation if false."""
    r = _rec()
    e = lift(c)
    if e.sort != BOOL:
        raise SpecError("assert_() needs a boolean condition")
    r.assertions.append((implies(r.cond(), e) if r.path else e, message))


@contextlib.contextmanager
def when(c: Any) -> Iterator[None]:
    """``with when(c):`` the assignments inside happen only if ``c`` holds."""
    r = _rec()
    e = lift(c)
    if e.sort != BOOL:
        raise SpecError("when() needs a boolean condition")
    r.path.append(e)
    try:
        yield
    finally:
        r.path.pop()


class RecordView:
    """A symbolic view of one record (concrete position)."""

    __slots__ = ("_shape", "_rec", "_index")

    def __init__(self, shape: RecordShape, rec: _Recorder, index: int | None = None):
        object.__setattr__(self, "_shape", shape)
        object.__setattr__(self, "_rec", rec)
        object.__setattr__(self, "_index", index)

    @property
    def index(self) -> int:
        """This record's position in its array."""
        if self._index is None:
            raise SpecError(f"{self._shape.name} is not an array element")
        return self._index

    def __getattr__(self, k: str) -> Any:
        m = self._shape.members.get(k)
        if m is None:
            raise SpecError(f"{self._shape.name or 'state'} has no field {k!r}")
        if isinstance(m, int):
            return self._rec.read(m)
        if isinstance(m, RecordShape):
            return RecordView(m, self._rec)
        return ArrayView(m, self._rec)

    def __setattr__(self, k: str, v: Any) -> None:
        m = self._shape.members.get(k)
        if not isinstance(m, int):
            raise SpecError(f"{self._shape.name or 'state'}.{k} is not a field that can be assigned")
        if HOOKS:
            v = HOOKS[-1].update(self._rec, [m], v)
            if v is HOOKS[-1].DROP:
                return
        self._rec.write(m, v)

    def __bool__(self) -> bool:
        raise SpecError("a record was used as a truth value")


class SymRecordView:
    """A record picked by a symbolic index: reads are ite-chains, writes conditional.

    A bare read whose index may be out of range (a NONE Ref) where its value is used is a
    SpecError when the tracing ends: guard it (``require(ref != Ref.NONE)``,
    ``implies(ref != Ref.NONE, ...)``, ``ite``) or write ``.get(field, default=...)``.  A write
    through an out-of-range index is an assertion failure.
    """

    __slots__ = ("_arr", "_rec", "_idx")

    def __init__(self, arr: ArrayShape, rec: _Recorder, idx: Expr):
        object.__setattr__(self, "_arr", arr)
        object.__setattr__(self, "_rec", rec)
        object.__setattr__(self, "_idx", idx)

    def _leaf(self, k: str) -> list[int]:
        out = []
        for e in self._arr.elements:
            m = e.members.get(k)
            if not isinstance(m, int):
                raise SpecError(f"{self._arr.name}[...].{k} is not a field (symbolic index)")
            out.append(m)
        return out

    def __getattr__(self, k: str) -> Any:
        return self._read(k, checked=True)

    def _read(self, k: str, checked: bool) -> Expr:
        idxs = self._leaf(k)
        rec = self._rec
        e = rec.read(idxs[-1])
        for i in range(len(idxs) - 2, -1, -1):
            e = ite(mk("eq", self._idx, i), rec.read(idxs[i]), e)
        if checked and not HOOKS:  # a mutant's guard may go: the mutation engine decides
            lo, hi = interval(self._idx, rec.layout.domains())
            if lo < 0 or hi >= len(idxs):
                if any(e is rec.read(i) for i in idxs):  # a node of its own marks this read
                    e = Expr(e.op, e.args, e.sort, e.value)
                rec.reads[id(e)] = (e, self._idx, len(idxs), f"{self._arr.name}[...].{k}")
        return e

    def get(self, k: str, *, default: Any) -> Any:
        """The field ``k`` of the record the index names, or ``default`` when the index is out
        of range (a NONE Ref): the explicit form of a read that may go through NONE."""
        n = len(self._arr.elements)
        inside = mk("and", mk("le", 0, self._idx), mk("lt", self._idx, n))
        return ite(inside, self._read(k, checked=False), default)

    def __setattr__(self, k: str, v: Any) -> None:
        r = self._rec
        if HOOKS:
            v = HOOKS[-1].update(r, self._leaf(k), v)
            if v is HOOKS[-1].DROP:
                return
        n = len(self._arr.elements)
        r.assertions.append(
            (implies(r.cond(), mk("and", mk("le", 0, self._idx), mk("lt", self._idx, n))),
             f"write through an index out of the range of {self._arr.name}"))
        for i, fi in enumerate(self._leaf(k)):
            r.path.append(mk("eq", self._idx, i))
            try:
                r.write(fi, v)
            finally:
                r.path.pop()


class ArrayView:
    __slots__ = ("_shape", "_rec")

    def __init__(self, shape: ArrayShape, rec: _Recorder):
        self._shape = shape
        self._rec = rec

    def __len__(self) -> int:
        return len(self._shape.elements)

    def __iter__(self) -> Iterator[RecordView]:
        for i, e in enumerate(self._shape.elements):
            yield RecordView(e, self._rec, i)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, Expr):
            if i.op == "const":
                i = i.value
            else:
                return SymRecordView(self._shape, self._rec, i)
        if not isinstance(i, int) or isinstance(i, bool):
            raise SpecError(f"{self._shape.name} indexed by {type(i).__name__}")
        if not 0 <= i < len(self._shape.elements):
            raise SpecError(f"{self._shape.name}[{i}] is out of range (size {len(self)})")
        return RecordView(self._shape.elements[i], self._rec, i)


def trace(layout: Layout, fn: Any, args: dict[str, Any], pre: list[Expr] | None = None) -> Traced:
    """Run ``fn(view, **args)`` symbolically and return its guard, updates and assertions."""
    base = pre if pre is not None else [Expr("var", (), f.sort, f.index) for f in layout.fields]
    rec = _Recorder(layout, base)
    _active.append(rec)
    FIELD_NAMES.append(layout.names())
    try:
        fn(RecordView(layout.root, rec), **args)
    finally:
        _active.pop()
        FIELD_NAMES.pop()
    guard = mk("and", *rec.guard) if rec.guard else TRUE
    updates = {i: e for i, e in enumerate(rec.env) if e is not base[i]}
    asserts = [(c, m) for c, m in rec.assertions if not (c.op == "const" and c.value)]
    if guard.op == "const" and not guard.value:
        return Traced(FALSE, {}, [])
    _check_reads(rec, [(guard, []), *((e, [guard]) for e in updates.values()),
                       *((c, [guard]) for c, _ in asserts)])
    return Traced(guard, updates, asserts)


def check_reads(values: list[Any]) -> None:
    """Check the bare reads of the predicate being traced now against ``values``, what it
    computed (a property that hands its expressions out, e.g. a leads-to pair)."""
    rec = _rec()
    flat: list[Any] = []

    def walk(v: Any) -> None:  # a hook may hand out lists, tuples or dicts of expressions
        if isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        else:
            flat.append(v)

    walk(values)
    _check_reads(rec, [(lift(v), []) for v in flat])


def _check_reads(rec: _Recorder, roots: list[tuple[Expr, list[Expr]]]) -> None:
    """A bare read through an index that may be out of range where its value is used is an
    error (the language never answers with the last element quietly)."""
    if not rec.reads:
        return
    bad = unguarded_reads(roots, rec.reads, rec.layout.domains())
    if bad:
        (_e, idx, size, label), (lo, hi) = bad[0]
        names = rec.layout.names()
        raise SpecError(
            f"{label} is read through the index {render(idx, names)}, which may be {lo if lo < 0 else hi} "
            f"(outside 0..{size - 1}, a NONE Ref) where the value is used: guard the read "
            f"(require(ref != NONE), implies(ref != NONE, ...), ite(...)) or write "
            f".get({label.rsplit('.', 1)[1]!r}, default=...)")


def evaluate_view(layout: Layout, fn: Any, args: dict[str, Any]) -> Expr:
    """Trace a predicate ``fn(view, **args) -> bool expr`` (an invariant or view)."""
    base = [Expr("var", (), f.sort, f.index) for f in layout.fields]
    rec = _Recorder(layout, base)
    _active.append(rec)
    FIELD_NAMES.append(layout.names())
    try:
        out = fn(RecordView(layout.root, rec), **args)
    finally:
        _active.pop()
        FIELD_NAMES.pop()
    if any(a is not b for a, b in zip(rec.env, base)) or rec.guard or rec.assertions:
        raise SpecError("a property may not assign fields or call require() or assert_()")
    e = lift(out)
    _check_reads(rec, [(e, [])])
    return e


def trace_transition(layout: Layout, fn: Any) -> Expr:
    """Trace a two-state predicate ``fn(before, after)``."""
    pre = [Expr("var", (), f.sort, f.index) for f in layout.fields]
    post = [Expr("next", (), f.sort, f.index) for f in layout.fields]
    r1, r2 = _Recorder(layout, pre), _Recorder(layout, post)
    _active.append(r1)
    FIELD_NAMES.append(layout.names())
    try:
        out = fn(RecordView(layout.root, r1), RecordView(layout.root, r2))
    finally:
        _active.pop()
        FIELD_NAMES.pop()
    if r1.guard or r1.assertions or any(a is not b for a, b in zip(r1.env, pre)) \
            or any(a is not b for a, b in zip(r2.env, post)):
        raise SpecError("a property may not assign fields or call require() or assert_()")
    e = lift(out)
    _check_reads(r1, [(e, [])])
    _check_reads(r2, [(e, [])])
    return e
