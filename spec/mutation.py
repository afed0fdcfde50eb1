"""Model mutation: small, deliberate bugs planted in an action while it is traced.

``ppcheck mutate`` (:mod:`ppcheck.checks.mutate`) asks how strong a model's properties are:
it plants one bug at a time in the traced IR of an action and checks whether some property
notices.  This module is the spec-language half: the hooks :func:`~ppcheck.spec.expr.mk`,
:func:`~ppcheck.spec.tracer.require` and the record views' ``__setattr__`` consult while a
:class:`Hook` is active (``with active(hook):``), the binding-independent :class:`Site` of a
mutation, and the two IR-level rewrites (:func:`split_rmw`, :func:`swap_steps`).

A site is identified by the *bytecode position* of every frame between the action method and
the spec language (``co_filename``, ``co_firstlineno``, ``co_name``, ``f_lasti``): the same
comparison in a loop over pages, or in every binding of the action, is one site, and two
comparisons on one line are two.  A mutation applies to every node its site produces.
"""

from __future__ import annotations

import contextlib
import dataclasses
import linecache
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .expr import BOOL, HOOKS, INT, TRUE, Expr, SpecError, const, lift, make, render
from .model import ActionDef, Binding, Model, System, build, fingerprint, who_label
from .schema import Int, layout
from .tracer import Traced, trace

SPEC_DIR = os.path.dirname(os.path.abspath(__file__))

#: operators, in the order they are planned
OPERATORS = ("drop_require", "drop_update", "negate", "const", "split_rmw", "swap_steps")

_CMP = {"eq", "ne", "lt", "le"}
#: spec functions through which a model's own comparison or constant reaches mk()
_USER_ENTRY = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__add__",
               "__radd__", "__sub__", "__rsub__", "__invert__", "__and__", "__rand__",
               "__or__", "__ror__", "ite", "min_", "max_", "implies", "not_"}
_CONST_OPS = {"eq", "ne", "lt", "le", "add", "sub", "ite", "min", "max"}

Key = tuple  # ((filename, firstlineno, name, lasti), ...): innermost frame first


@dataclass(frozen=True)
class Site:
    """Where a mutation applies: an action, the kind of construct (``require``, ``update``,
    ``cmp``, ``const``, ``steps``), its ordinal among that action's sites of that kind, and
    the model source line.  ``key`` is the bytecode identity the hooks match."""

    action: str
    kind: str
    ordinal: int
    file: str
    line: int
    key: Key = field(default=(), compare=True, repr=False)
    source: str = field(default="", compare=False)  # the line's text, read when it was traced

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def text(self) -> str:
        if self.source:
            return self.source
        path = self.file if os.path.isabs(self.file) else os.path.join(
            os.path.dirname(SPEC_DIR), self.file)
        return linecache.getline(path, self.line).strip()


@dataclass(frozen=True)
class Mutation:
    """One mutant: an operator applied at a site with a parameter (which conjunct, which
    neighbour, which step), and a short human description."""

    site: Site
    operator: str
    param: Any = None
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.site.action}:{self.site.kind}{self.site.ordinal}:{self.operator}:{self.param_text}"

    @property
    def param_text(self) -> str:
        p = self.param
        if isinstance(p, tuple) and p and p[0] == "tag":
            return f"c{p[2] if len(p) > 2 else 0}"
        if isinstance(p, tuple) and p and p[0] == "pos":
            return f"p{p[1]}"
        if isinstance(p, tuple):
            return ",".join(str(x) for x in p)
        return "" if p is None else str(p)


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP = _Drop()


def rel(path: str) -> str:
    """A model file's path relative to the package (``models/toys.py``)."""
    root = os.path.dirname(SPEC_DIR)
    try:
        r = os.path.relpath(path, root)
    except ValueError:
        return path
    return path if r.startswith("..") else r


class Hook:
    """The base hook: identifies the action being traced and the site of a construct; changes
    nothing.  Subclasses record sites (:class:`Recorder`) or apply one mutation (:class:`Apply`)."""

    DROP = DROP

    def __init__(self, model: type[Model]):
        self.codes: dict[Any, ActionDef] = {d.fn.__code__: d for d in model.action_defs()}
        self.tags: dict[int, tuple[Expr, Key]] = {}

    # -- where are we? --------------------------------------------------------------------
    def where(self, depth: int = 3) -> tuple[ActionDef, Key, list[Any], Any] | None:
        """(action, site key, spec frames below the first model frame, action frame), or None
        outside an action (properties, init)."""
        f = sys._getframe(depth)
        frames = []
        while f is not None:
            frames.append(f)
            d = self.codes.get(f.f_code)
            if d is not None:
                key = tuple((x.f_code.co_filename, x.f_code.co_firstlineno, x.f_code.co_name,
                             x.f_lasti) for x in frames)
                spec = []
                for x in frames:
                    if not x.f_code.co_filename.startswith(SPEC_DIR):
                        break
                    spec.append(x)
                return d, key, spec, f
            f = f.f_back
        return None

    def from_user(self, spec: list[Any]) -> bool:
        return len(spec) == 1 and spec[0].f_code.co_name in _USER_ENTRY

    # -- the three hook points --------------------------------------------------------------
    def mk(self, op: str, raw: tuple) -> Expr:
        return make(op, *raw)

    def require(self, e: Expr) -> Expr:
        return e

    def update(self, rec: Any, idxs: list[int], v: Any) -> Any:
        return v

    # -- conjunct identity ------------------------------------------------------------------
    def tag(self, e: Expr, key: Key) -> Expr:
        self.tags[id(e)] = (e, key)
        return e

    def conjunct_ids(self, e: Expr) -> list[tuple[Any, Expr]]:
        """The conjuncts of a require() condition, each with a binding-independent id: the
        site that built it, or its position among the untagged ones."""
        parts = list(e.args) if e.op == "and" else [e]
        out, pos = [], 0
        for p in parts:
            t = self.tags.get(id(p))
            if t is not None and t[0] is p:
                out.append((("tag", t[1]), p))
            else:
                out.append((("pos", pos), p))
                pos += 1
        return out


def frame_line(f: Any) -> tuple[str, int]:
    return rel(f.f_code.co_filename), f.f_lineno


def _user_frame(depth: int) -> Any:
    f = sys._getframe(depth)
    while f is not None and f.f_code.co_filename.startswith(SPEC_DIR):
        f = f.f_back
    return f


@dataclass
class SiteInfo:
    """What the probe saw at one site (over every binding and configuration)."""

    action: str
    kind: str
    file: str
    line: int
    key: Key
    conjuncts: dict[Any, str] = field(default_factory=dict)  # require: id -> text
    consts: dict[tuple[int, int], str] = field(default_factory=dict)  # const: (arg, delta) -> text
    op: str = ""  # cmp: the operator
    source: str = ""  # the source line, read while it was traced
    text: str = ""  # an example rendering
    rmw: bool = True  # update: every write reads its own field (a read-modify-write)
    single: bool = True  # update: one plain field per write and per trace
    field_sort: str = INT


class Recorder(Hook):
    """Records every mutation site seen while a model is built (the probe)."""

    def __init__(self, model: type[Model]):
        super().__init__(model)
        self.sites: dict[tuple[str, Key], SiteInfo] = {}
        self.order: list[tuple[str, Key]] = []
        self._writes: dict[tuple[int, Key], int] = {}
        self._recs: list[Any] = []  # keeps each trace's recorder alive (ids stay unique)

    def _site(self, kind: str, d: ActionDef, key: Key) -> SiteInfo:
        k = (kind, key)
        si = self.sites.get(k)
        if si is None:
            uf = _user_frame(3)
            file, line = frame_line(uf) if uf is not None else ("", 0)
            si = SiteInfo(d.name, kind, file, line, key)
            if uf is not None:
                linecache.checkcache(uf.f_code.co_filename)
                si.source = linecache.getline(uf.f_code.co_filename, line).strip()
            self.sites[k] = si
            self.order.append(k)
        return si

    def mk(self, op: str, raw: tuple) -> Expr:
        out = make(op, *raw)
        if out.sort != BOOL and op not in _CONST_OPS:
            return out
        w = self.where()
        if w is None:
            return out
        d, key, spec, _ = w
        if not self.from_user(spec):
            return out
        if out.sort == BOOL and out.op != "const":
            self.tag(out, key)
        args = [lift(a) for a in raw]
        if op in _CMP and out.op != "const" and spec[0].f_code.co_name not in ("__invert__", "not_"):
            si = self._site("cmp", d, key)
            si.op, si.text = op, si.text or render(out)
        if op in _CONST_OPS and out.op != "const":
            for i, a in enumerate(args):
                if a.op != "const":
                    continue
                for delta in _deltas(op, args, i):
                    if _valid_const(op, args, i, delta):
                        si = self._site("const", d, key)
                        si.consts.setdefault((i, delta), f"{render(a)} -> {_new_text(a, delta)} in "
                                                         f"{render(out)}")
        return out

    def require(self, e: Expr) -> Expr:
        w = self.where()
        if w is None:
            return e
        d, key, _, _ = w
        si = self._site("require", d, key)
        for cid, p in self.conjunct_ids(e):
            si.conjuncts.setdefault(cid, render(p))
        return e

    def update(self, rec: Any, idxs: list[int], v: Any) -> Any:
        w = self.where()
        if w is None:
            return v
        d, key, _, _ = w
        si = self._site("update", d, key)
        f = rec.layout.fields[idxs[0]]
        e = lift(v)
        si.field_sort = f.sort
        si.text = si.text or f"{f.name} = {render(e)}"
        if not self._recs or self._recs[-1] is not rec:
            self._recs.append(rec)
        n = self._writes.get((id(rec), key), 0) + 1
        self._writes[(id(rec), key)] = n
        if len(idxs) != 1 or n > 1:
            si.single = False
        else:
            from .expr import fields_read

            if e.op == "const" or idxs[0] not in fields_read(e):
                si.rmw = False
        if e.op == "const":
            for delta in ((1,) if f.sort == BOOL else (-1, 1)):
                nv = (1 - e.value) if f.sort == BOOL else e.value + delta
                if f.lo <= nv <= f.hi:
                    si.consts.setdefault((-1, delta), f"{f.name} = {render(e)} -> {_new_text(e, delta)}")
        return v


def _deltas(op: str, args: list[Expr], i: int) -> tuple[int, ...]:
    if args[i].sort == BOOL:
        return (1,)
    if op == "ite" and i == 0:
        return ()
    return (-1, 1)


def _new_text(a: Expr, delta: int) -> str:
    if a.sort == BOOL:
        return "False" if a.value else "True"
    return str(a.value + delta)


def _valid_const(op: str, args: list[Expr], i: int, delta: int) -> bool:
    """A neighbour stays in the domain: of the field compared with, or non-negative."""
    a = args[i]
    if a.sort == BOOL:
        return True
    nv = a.value + delta
    others = [b for j, b in enumerate(args) if j != i and (op != "ite" or j != 0)]
    from . import tracer

    lay = tracer.current_layout()
    for b in others:
        if b.op == "var" and lay is not None:
            f = lay.fields[b.value]
            return f.lo <= nv <= f.hi
    return nv >= (-1 if a.value == -1 else 0)


def _mutate_const(a: Expr, delta: int) -> Expr:
    if a.sort == BOOL:
        return const(not a.value)
    return const(a.value + delta)


class Apply(Hook):
    """Applies one :class:`Mutation` while a model is built."""

    def __init__(self, model: type[Model], m: Mutation, scratch: dict[str, int] | None = None):
        super().__init__(model)
        self.m = m
        self.key = m.site.key
        self.hits = 0
        self.scratch = scratch or {}
        self.splits: set[tuple[int, str]] = set()  # split_rmw: (field, who) written back
        self.owners: dict[str, int] = {}

    def mk(self, op: str, raw: tuple) -> Expr:
        kind = self.m.site.kind
        want_tag = self.m.operator == "drop_require"
        if not want_tag and not (kind == "cmp" and op in _CMP) and not (
                kind == "const" and op in _CONST_OPS):
            return make(op, *raw)
        w = self.where()
        if w is None:
            return make(op, *raw)
        d, key, spec, _ = w
        if want_tag:
            out = make(op, *raw)
            if out.sort == BOOL and out.op != "const" and self.from_user(spec):
                self.tag(out, key)
            return out
        if key != self.key or not self.from_user(spec):
            return make(op, *raw)
        if kind == "cmp":
            out = make(op, *raw)
            if out.op == "const":
                return out
            self.hits += 1
            return make("not", out)
        i, delta = self.m.param
        args = [lift(a) for a in raw]
        if i < len(args) and args[i].op == "const" and _valid_const(op, args, i, delta) \
                and delta in _deltas(op, args, i):
            self.hits += 1
            args[i] = _mutate_const(args[i], delta)
        return make(op, *args)

    def require(self, e: Expr) -> Expr:
        if self.m.operator != "drop_require":
            return e
        w = self.where()
        if w is None or w[1] != self.key:
            return e
        parts = self.conjunct_ids(e)
        want = tuple(self.m.param[:2])
        keep = [p for cid, p in parts if cid != want]
        if len(keep) == len(parts):
            return e
        self.hits += 1
        return make("and", *keep) if keep else TRUE

    def update(self, rec: Any, idxs: list[int], v: Any) -> Any:
        if self.m.site.kind != "update":
            return v
        w = self.where()
        if w is None or w[1] != self.key:
            return v
        op = self.m.operator
        if op == "drop_update":
            self.hits += 1
            return DROP
        if op == "const":
            f = rec.layout.fields[idxs[0]]
            e = lift(v)
            if e.op != "const":
                return v
            _, delta = self.m.param
            nv = (1 - e.value) if f.sort == BOOL else e.value + delta
            if not f.lo <= nv <= f.hi:
                return v
            self.hits += 1
            return const(bool(nv)) if f.sort == BOOL else const(nv)
        if op == "split_rmw":
            if len(idxs) != 1:
                return v
            d, _, _, frame = w
            args = {p: frame.f_locals.get(p) for p in d.params}
            who = who_label(d, args)
            owner = self.owners.setdefault(who, len(self.owners) + 1)
            if owner > 31:
                raise SpecError("split_rmw: more than 31 contexts")
            f = rec.layout.fields[idxs[0]]
            e = lift(v)
            if f.wrap_bits:
                e = make("mod", e, 1 << f.wrap_bits)
            if f.sort == BOOL:
                raise SpecError("split_rmw of a boolean field")
            rec.write(self.scratch["value"], e)
            rec.write(self.scratch["pending"], idxs[0] + 1)
            rec.write(self.scratch["owner"], owner)
            self.splits.add((idxs[0], who))
            self.hits += 1
            return DROP
        return v


@contextlib.contextmanager
def active(hook: Hook) -> Iterator[Hook]:
    """``with active(hook):`` every action traced inside consults ``hook``."""
    HOOKS.append(hook)
    try:
        yield hook
    finally:
        HOOKS.pop()
        hook.tags.clear()


# -- IR-level rewrites ----------------------------------------------------------------------

def substitute(e: Expr, values: dict[int, int], memo: dict[int, Expr] | None = None) -> Expr:
    """``e`` with the pre-state fields in ``values`` replaced by constants (refolded)."""
    memo = {} if memo is None else memo
    k = id(e)
    if k in memo:
        return memo[k]
    if e.op == "var" and e.value in values:
        out = const(bool(values[e.value])) if e.sort == BOOL else const(values[e.value])
    elif not e.args:
        out = e
    else:
        args = [substitute(a, values, memo) for a in e.args]
        out = e if all(a is b for a, b in zip(args, e.args)) else make(e.op, *args)
    memo[k] = out
    return out


def _pc_conjunct(guard: Expr, fi: int) -> int | None:
    """The constant ``c`` of a guard conjunct ``var(fi) == c``, if there is one."""
    for p in (guard.args if guard.op == "and" else (guard,)):
        if p.op == "eq":
            a, b = p.args
            if a.op == "var" and a.value == fi and b.op == "const":
                return b.value
            if b.op == "var" and b.value == fi and a.op == "const":
                return a.value
    return None


def field_pattern(name: str) -> str:
    """A field's name with array indices dropped (``ctxs[].pc``): one pc for every context."""
    return re.sub(r"\[\d+\]", "[]", name)


def step_pairs(system: System) -> list[tuple[str, str, int]]:
    """(A, B, pc field) where A moves a context's pc from P0 to P1 (constants) and B requires
    pc == P1 and moves it on to a constant P2: two steps of one multi-step function."""
    out: list[tuple[str, str, int]] = []
    by_action: dict[str, list[Binding]] = {}
    for b in system.bindings:
        by_action.setdefault(b.action, []).append(b)
    for a_name, a_bs in by_action.items():
        for b_name, b_bs in by_action.items():
            if a_name == b_name:
                continue
            for fi in _pc_fields(system, a_bs, b_bs):
                if (a_name, b_name, fi) not in out:
                    out.append((a_name, b_name, fi))
    return out


def _pc_fields(system: System, a_bs: list[Binding], b_bs: list[Binding]) -> list[int]:
    """The program-counter fields A and B step: a field of the context's own record (``who``)
    whose middle value P1 is not its initial (idle) value: B continues A's function."""
    found: list[int] = []
    names = system.layout.names()
    init = system.layout.unpack(system.init_states[0])
    for a in a_bs:
        for fi, u in a.ir.updates.items():
            if u.op != "const" or fi in found or not a.who or not names[fi].startswith(a.who + ".") \
                    or u.value == init[fi]:
                continue
            p0 = _pc_conjunct(a.ir.guard, fi)
            if p0 is None or p0 == u.value:
                continue
            for b in b_bs:
                if b.who != a.who or not _compatible(a, b):
                    continue
                p1 = _pc_conjunct(b.ir.guard, fi)
                nb = b.ir.updates.get(fi)
                if p1 == u.value and nb is not None and nb.op == "const" and nb.value != p1:
                    found.append(fi)
                    break
    return found


def _compatible(a: Binding, b: Binding) -> bool:
    return all(a.args[k] == b.args[k] for k in a.args.keys() & b.args.keys())


def swap_steps(system: System, a_name: str, b_name: str, fi: int) -> int:
    """Swap two steps at IR level: at pc P0 the context now does B's body (then pc := P1), at
    P1 A's body (then pc := B's P2).  Returns how many binding pairs were swapped."""
    a_bs = [b for b in system.bindings if b.action == a_name]
    b_bs = [b for b in system.bindings if b.action == b_name]
    new: dict[int, Traced] = {}
    pairs = 0
    for a in a_bs:
        u = a.ir.updates.get(fi)
        p0 = _pc_conjunct(a.ir.guard, fi)
        if u is None or u.op != "const" or p0 is None:
            continue
        p1 = u.value
        for b in b_bs:
            if b.who != a.who or not _compatible(a, b):
                continue
            nb = b.ir.updates.get(fi)
            if _pc_conjunct(b.ir.guard, fi) != p1 or nb is None or nb.op != "const":
                continue
            p2 = nb.value
            pc_at = make("eq", Expr("var", (), system.layout.fields[fi].sort, fi), p0)
            bg = substitute(b.ir.guard, {fi: p1})
            bu = {i: substitute(e, {fi: p1}) for i, e in b.ir.updates.items()}
            bu[fi] = const(p1)
            new[b.id] = Traced(make("and", pc_at, bg), bu,
                               [(substitute(c, {fi: p1}), m) for c, m in b.ir.assertions])
            pc_at1 = make("eq", Expr("var", (), system.layout.fields[fi].sort, fi), p1)
            ag = substitute(a.ir.guard, {fi: p0})
            au = {i: substitute(e, {fi: p0}) for i, e in a.ir.updates.items()}
            au[fi] = const(p2)
            new[a.id] = Traced(make("and", pc_at1, ag), au,
                               [(substitute(c, {fi: p0}), m) for c, m in a.ir.assertions])
            pairs += 1
    for bid, ir in new.items():
        system.bindings[bid].ir = ir
    system.fingerprint = fingerprint(system)
    return pairs


def scratch_model(model: type[Model]) -> type[Model]:
    """``model`` with three scratch fields for split_rmw: the value computed by the first
    half of a read-modify-write, the field it goes to (+1, 0: none pending) and the context
    (its owner number) that will write it back."""

    def lo(cfg: Any) -> int:
        return min(f.lo for f in layout(model.State, cfg).fields)

    def hi(cfg: Any) -> int:
        return max(f.hi for f in layout(model.State, cfg).fields)

    def nfields(cfg: Any) -> int:
        return len(layout(model.State, cfg).fields)

    state = type(f"{model.State.__name__}Scratch", (model.State,), {
        "mut_value": Int(lo, hi), "mut_pending": Int(0, nfields), "mut_owner": Int(0, 31)})
    return type(model.__name__, (model,), {"State": state, "__module__": model.__module__})


def finish_split(system: System, hook: Apply, action: str) -> None:
    """The second half of each split read-modify-write: a write-back step of the context that
    started it; until it runs, that context does nothing else and no other split starts."""
    lay = system.layout
    names = lay.names()
    vi, pi, oi = (names.index(n) for n in ("mut_value", "mut_pending", "mut_owner"))

    def var(i: int) -> Expr:
        return Expr("var", (), lay.fields[i].sort, i)

    pending = var(pi)
    for b in system.bindings:
        extra = []
        if pi in b.ir.updates:
            extra.append(make("eq", pending, 0))
        k = hook.owners.get(b.who)
        if k is not None:
            extra.append(make("or", make("eq", pending, 0), make("ne", var(oi), k)))
        if extra:
            b.ir = Traced(make("and", b.ir.guard, *extra), b.ir.updates, b.ir.assertions)
    for fi, who in sorted(hook.splits):
        g = make("and", make("eq", pending, fi + 1), make("eq", var(oi), hook.owners[who]))
        ups = {fi: var(vi), pi: const(0), oi: const(0), vi: const(lay.fields[vi].lo)}
        system.bindings.append(Binding(len(system.bindings), f"{action}~writeback",
                                       {"field": names[fi]}, who, Traced(g, ups, [])))
    system.fingerprint = fingerprint(system)


def retrace(original: System, model: type[Model], m: Mutation) -> System:
    """The mutant of ``original`` (``model`` built in its configuration) with only the mutated
    action traced again under the hook: the other actions' IR is the original's (a mutation
    applies to its own action only), so this is :func:`build` with the mutation, cheaper."""
    by_action: dict[str, list[Binding]] = {}
    for b in original.bindings:
        by_action.setdefault(b.action, []).append(b)
    hits = 0
    bindings: list[Binding] = []
    for d in model.action_defs():
        if d.name == m.site.action:
            mutated, hits = retrace_action(original, model, m)
            for b in mutated:
                bindings.append(Binding(len(bindings), b.action, b.args, b.who, b.ir))
            continue
        for b in by_action.get(d.name, []):
            bindings.append(Binding(len(bindings), b.action, b.args, b.who, b.ir))
    system = dataclasses.replace(original, bindings=bindings)
    system.fingerprint = fingerprint(system)
    system.mutation_hits = hits  # type: ignore[attr-defined]
    return system


def retrace_action(original: System, model: type[Model], m: Mutation) -> tuple[list[Binding], int]:
    """Only the mutated action's bindings of ``original``'s configuration, traced again under
    the mutation (what :func:`retrace` puts in the system, without building the rest or its
    fingerprint), and how many nodes the mutation hit.  Mutant schemata compare these with the
    original's bindings of the action."""
    from .model import binding_args

    cfg, lay = original.config, original.layout
    d = next(x for x in model.action_defs() if x.name == m.site.action)
    hook = Apply(model, m)
    method = d.fn.__get__(model(cfg))
    out: list[Binding] = []
    with active(hook):
        for args in binding_args(d, cfg, lay):
            try:
                ir = trace(lay, method, args)
            except SpecError as e:
                raise SpecError(f"action {d.name}: {e}") from None
            if ir.guard.op == "const" and not ir.guard.value:
                continue
            out.append(Binding(-1, d.name, args, who_label(d, args), ir))
    return out, hook.hits


def build_mutant(model: type[Model], m: Mutation, cfg: Any, original: System | None = None) -> System:
    """Build ``model`` in configuration ``cfg`` with mutation ``m`` applied (SpecError if the
    mutant does not build).  With the ``original`` system of that configuration, only what the
    mutation changes is traced again."""
    if m.operator in ("drop_require", "drop_update", "negate", "const") and original is not None:
        return retrace(original, model, m)
    if m.operator == "swap_steps":
        if original is not None:
            system = dataclasses.replace(original, bindings=[
                Binding(b.id, b.action, b.args, b.who, b.ir) for b in original.bindings])
        else:
            system = build(model, cfg)
        b_name, pattern = m.param
        names = system.layout.names()
        hits = 0
        for a, b, fi in step_pairs(system):
            if a == m.site.action and b == b_name and field_pattern(names[fi]) == pattern:
                hits += swap_steps(system, a, b, fi)
        system.mutation_hits = hits  # type: ignore[attr-defined]
        return system
    target = scratch_model(model) if m.operator == "split_rmw" else model
    hook = Apply(target, m)
    if m.operator == "split_rmw":
        lay = layout(target.State, target.config(cfg) if isinstance(cfg, str) else cfg)
        names = lay.names()
        hook.scratch = {"value": names.index("mut_value"), "pending": names.index("mut_pending"),
                        "owner": names.index("mut_owner")}
    with active(hook):
        system = build(target, cfg)
    if m.operator == "split_rmw":
        finish_split(system, hook, m.site.action)
    system.mutation_hits = hook.hits  # type: ignore[attr-defined]
    return system
