"""The single adapter from the traced IR to Z3 terms.

Every Z3 engine (BMC, k-induction, CHC/Spacer) reads a model only through
:class:`Encoding`; sort choices, the treatment of wrapping counters and the shape of
the transition relation live here and nowhere else.  Nothing here knows any model.

Sorts.  A ``Bool`` field is a Z3 ``Bool``; every other field (``Int``, ``UInt``,
``Enum``, ``Ref``) is a Z3 ``Int`` constrained to its domain ``lo..hi`` in every state
copy (enums are their member numbers, ``Ref.NONE`` is -1).

Wrapping counters.  The tracer already wraps every assignment to a ``UInt`` field in
an explicit ``mod 2^w``, so a wrapping counter is an ``Int`` in ``0..2^w-1`` and the
wrap is the IR's own ``mod``.  That is exactly the bit-vector semantics (addition
modulo ``2^w``), and it keeps every term in linear integer arithmetic, where the IR's
mixed arithmetic (counters compared with bounded ints, ``serial_distance`` going
negative) needs no sign/zero extension and where Spacer is strongest.  ``mod`` by a
constant is further encoded without division: interval analysis bounds the dividend,
and when it spans few multiples of the modulus the remainder is an ``ite`` chain
``x - k*m`` (exact); otherwise Z3's ``%`` (adjusted to Python's sign rule) is used.
``arith="bv"`` instead encodes every integer as a two's-complement bit-vector whose width
interval analysis shows holds every intermediate value (exact too; no faster under BMC).

State copies are named readably: ``pages[1].refcnt@3`` is field ``pages[1].refcnt``
in state 3.  Every relation is
built once as a *template* over template variables and instantiated per state copy
with :func:`z3.substitute` (done inside Z3, not node by node in Python).

The transition relation selects exactly one binding per step with one Boolean per
binding (``page_pool_put_page(c=0, p=1)@3``: that binding is taken from state 3; an
at-least-one clause and an at-most-one cardinality constraint): ``take_b -> guard_b(s) ∧
s'_i = u_b(s)`` for the fields ``b`` updates, and for every field ``i`` the derived frame
``s'_i = s_i`` unless a binding that updates ``i`` is taken.  Together with the domain
constraints of ``s'`` this admits exactly the explorer's successors (an update leaving its
domain yields no successor there either).  This one-hot form measured about twice as fast
under BMC as a binary selector with a per-field ite chain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from ppcheck.spec.bounds import interval
from ppcheck.spec.expr import BOOL, Expr, walk
from ppcheck.spec.model import ALWAYS, SOMETIMES, TRANSITION, Property, System

from .verdict import ACTION_ASSERTIONS

#: how many multiples of the modulus a dividend may span before ``%`` is used instead
MOD_ITE_LIMIT = 4


class UnsupportedOp(Exception):
    """An IR operator (or operand shape) the Z3 adapter cannot express exactly."""


@dataclass
class Obligation:
    """A safety question as a state predicate ``ok(x)`` over the template state.

    ``kind`` is the property kind (``always`` for action assertions).  For a
    ``sometimes`` witness, ``ok`` is the *negation* of the witness: reaching a state
    where ``ok`` fails means the witness is reached; proving ``ok`` invariant means the
    witness is vacuous.  ``step`` is true when a violation is shown by one more step
    (action assertions and transition properties): the trace ends with that step.
    """

    name: str
    kind: str
    ok: z3.BoolRef
    step: bool = False
    lemma: bool = False
    prop_index: int = -1  # index into system.properties (-1: action assertions)

    @property
    def witness(self) -> bool:
        return self.kind == SOMETIMES


class Encoding:
    """Z3 terms for one :class:`System`: state copies, domains, init, trans, predicates."""

    def __init__(self, system: System, ctx: z3.Context | None = None, arith: str = "int"):
        if arith not in ("int", "bv"):
            raise ValueError(f"arith must be 'int' or 'bv', not {arith!r}")
        self.system = system
        self.arith = arith
        self.layout = system.layout
        self.fields = system.layout.fields
        self.ctx = ctx or z3.main_ctx()
        self.nb = len(system.bindings)
        self.dom = {f.index: (f.lo, f.hi) for f in self.fields}
        #: bit-vector width (``arith="bv"``): wide enough for every intermediate value
        self.width = _bv_width(system) if arith == "bv" else 0
        # template variables: x (pre), xn (post); selectors in _build_trans
        self.x = self._vars(lambda f: f.name)
        self.xn = self._vars(lambda f: f.name + "'")
        #: template selectors: one Boolean per binding
        self.sel = [z3.Bool(f"take:{b.label()}#{b.id}", self.ctx) for b in system.bindings]
        self._copies: dict[str, list[z3.ExprRef]] = {}
        self._memo: dict[int, z3.ExprRef] = {}  # pre-state translations over self.x
        self._build()

    # -- variables -----------------------------------------------------------------------
    def _vars(self, name: Callable[[Any], str]) -> list[z3.ExprRef]:
        return [z3.Bool(name(f), self.ctx) if f.sort == BOOL else self._num_var(name(f))
                for f in self.fields]

    def _num_var(self, name: str) -> z3.ExprRef:
        if self.arith == "bv":
            return z3.BitVec(name, self.width, self.ctx)
        return z3.Int(name, self.ctx)

    def num(self, v: int) -> z3.ExprRef:
        if self.arith == "bv":
            return z3.BitVecVal(v, self.width, self.ctx)
        return z3.IntVal(v, self.ctx)

    def state(self, tag: int | str) -> list[z3.ExprRef]:
        """The state copy ``tag`` (``pages[1].refcnt@3``), created on first use."""
        key = str(tag)
        if key not in self._copies:
            self._copies[key] = self._vars(lambda f: f"{f.name}@{key}")
        return self._copies[key]

    def selectors(self, tag: int | str) -> list[z3.BoolRef]:
        """The binding selectors leaving state ``tag``: ``label@tag`` is taken."""
        key = f"take@{tag}"
        if key not in self._copies:
            self._copies[key] = [z3.Bool(f"{b.label()}#{b.id}@{tag}", self.ctx)
                                 for b in self.system.bindings]
        return self._copies[key]  # type: ignore[return-value]

    def taken(self, tag: int | str, b: int) -> z3.BoolRef:
        """Binding ``b`` is the one taken from state ``tag``."""
        return self.selectors(tag)[b]

    # -- IR to Z3 ------------------------------------------------------------------------
    def term(self, e: Expr, pre: Sequence[z3.ExprRef] | None = None,
             post: Sequence[z3.ExprRef] | None = None, memo: dict[int, z3.ExprRef] | None = None
             ) -> z3.ExprRef:
        """Translate an IR expression (``var`` -> ``pre``, ``next`` -> ``post``)."""
        if pre is None:
            pre, memo = self.x, self._memo if memo is None else memo
        if memo is None:
            memo = {}
        ctx = self.ctx
        stack: list[tuple[Expr, bool]] = [(e, False)]
        while stack:  # iterative post-order: deep ite chains do not hit the recursion limit
            n, done = stack.pop()
            k = id(n)
            if k in memo:
                continue
            if not done:
                stack.append((n, True))
                stack.extend((a, False) for a in n.args if id(a) not in memo)
                continue
            memo[k] = self._node(n, [memo[id(a)] for a in n.args], pre, post, ctx)
        return memo[id(e)]

    def _node(self, n: Expr, a: list[z3.ExprRef], pre: Sequence[z3.ExprRef],
              post: Sequence[z3.ExprRef] | None, ctx: z3.Context) -> z3.ExprRef:
        row = OP_TABLE.get(n.op)
        if row is None:
            raise UnsupportedOp(f"operator {n.op!r} has no Z3 encoding")
        return row(self, n, a, pre, post)

    def const_term(self, n: Expr) -> z3.ExprRef:
        return z3.BoolVal(bool(n.value), self.ctx) if n.sort == BOOL else self.num(n.value)

    def mod_term(self, n: Expr, a: list[z3.ExprRef]) -> z3.ExprRef:
        """Python's ``%``: exact ite chain for a bounded dividend, else Z3 ``%``."""
        m = n.args[1]
        x = a[0]
        if m.op == "const":
            if m.value == 0:
                raise UnsupportedOp("mod by the constant 0")
            if m.value > 0:
                lo, hi = interval(n.args[0], self.dom)
                q_lo, q_hi = lo // m.value, hi // m.value
                if q_hi - q_lo + 1 <= MOD_ITE_LIMIT:
                    r = x - q_hi * m.value
                    for q in range(q_hi - 1, q_lo - 1, -1):
                        r = z3.If(x < (q + 1) * m.value, x - q * m.value, r)
                    return r
                return x % a[1]
        if self.arith == "bv":  # z3py's % on bit-vectors is bvsmod: the divisor's sign, as Python
            return x % a[1]
        # general case: SMT-LIB mod is non-negative; Python's takes the divisor's sign
        r = x % a[1]
        return z3.If(a[1] > 0, r, z3.If(r == 0, r, r + a[1]))

    # -- relations (templates over x, xn, sel) -------------------------------------------
    def _build(self) -> None:
        sysm, x = self.system, self.x
        ctx = self.ctx
        self.domain_t = z3.And([c for i, f in enumerate(self.fields) if f.sort != BOOL
                                for c in (x[i] >= f.lo, x[i] <= f.hi)] or [z3.BoolVal(True, ctx)])
        inits = []
        for s in sysm.init_states:
            vals = self.layout.unpack(s)
            inits.append(z3.And([self._val(i, v) for i, v in enumerate(vals)]))
        self.init_t = z3.Or(inits) if len(inits) != 1 else inits[0]
        self.guards: list[z3.BoolRef] = []
        self.updates: list[dict[int, z3.ExprRef]] = []
        self.asserts_ok: list[z3.BoolRef] = []
        self.in_domain: list[z3.BoolRef] = []
        for b in sysm.bindings:
            memo: dict[int, z3.ExprRef] = {}
            g = self.term(b.ir.guard, x, None, memo)
            ups = {i: self.term(e, x, None, memo) for i, e in sorted(b.ir.updates.items())}
            oks = [self.term(c, x, None, memo) for c, _ in b.ir.assertions]
            dom_ok = []
            for i, e in sorted(b.ir.updates.items()):
                f = self.fields[i]
                if f.sort == BOOL:
                    continue
                lo, hi = interval(e, self.dom)
                if not (f.lo <= lo and hi <= f.hi):
                    dom_ok += [ups[i] >= f.lo, ups[i] <= f.hi]
            self.guards.append(g)
            self.updates.append(ups)
            self.asserts_ok.append(z3.And(oks) if oks else z3.BoolVal(True, ctx))
            self.in_domain.append(z3.And(dom_ok) if dom_ok else z3.BoolVal(True, ctx))
        self._build_trans()

    def _build_trans(self) -> None:
        """``trans_t`` from ``guards`` and ``updates``: per field, an ite over the bindings."""
        sysm, x, xn, sel = self.system, self.x, self.xn, self.sel
        conj: list[z3.BoolRef] = [z3.Or(sel) if sel else z3.BoolVal(False, self.ctx)]
        if len(sel) > 1:
            conj.append(z3.AtMost(*sel, 1))
        for b in sysm.bindings:
            ups = self.updates[b.id]
            eqs = [self.guards[b.id]] + [xn[i] == u for i, u in ups.items()]
            conj.append(z3.Implies(sel[b.id], z3.And(eqs)))
        for i in range(len(self.fields)):
            writers = [sel[b.id] for b in sysm.bindings if i in self.updates[b.id]]
            conj.append(z3.Or(*writers, xn[i] == x[i]))
        #: trans(x, xn, sel), without the domain constraint of xn (add ``domain(xn)``)
        self.trans_t = z3.And(conj)

    def _val(self, i: int, v: int) -> z3.BoolRef:
        f = self.fields[i]
        x = self.x[i]
        if f.sort == BOOL:
            return x if v else z3.Not(x)
        return x == v

    # -- instantiation ---------------------------------------------------------------------
    def at(self, template: z3.ExprRef, s: Sequence[z3.ExprRef], t: Sequence[z3.ExprRef] | None = None,
           tag: int | str | None = None) -> z3.ExprRef:
        """Instantiate a template on state copies ``s`` (and ``t``, the selectors of ``tag``)."""
        pairs = list(zip(self.x, s))
        if t is not None:
            pairs += list(zip(self.xn, t))
        if tag is not None:
            pairs += list(zip(self.sel, self.selectors(tag)))
        return z3.substitute(template, *pairs)

    def domain(self, s: Sequence[z3.ExprRef]) -> z3.BoolRef:
        return self.at(self.domain_t, s)

    def init(self, s: Sequence[z3.ExprRef]) -> z3.BoolRef:
        return self.at(self.init_t, s)

    def trans(self, s: Sequence[z3.ExprRef], t: Sequence[z3.ExprRef], tag: int | str) -> z3.BoolRef:
        """``trans(s, t)`` with the selectors of step ``tag``, including the domain of ``t``."""
        return z3.And(self.at(self.trans_t, s, t, tag), self.domain(t))

    def fixed(self, s: Sequence[z3.ExprRef], packed: int) -> z3.BoolRef:
        """State copy ``s`` equals the concrete packed state."""
        vals = self.layout.unpack(packed)
        return z3.And([(v if val else z3.Not(v)) if f.sort == BOOL else v == val
                       for f, v, val in zip(self.fields, s, vals)])

    def distinct(self, s: Sequence[z3.ExprRef], t: Sequence[z3.ExprRef]) -> z3.BoolRef:
        return z3.Or([a != b for a, b in zip(s, t)])

    # -- properties as state predicates ---------------------------------------------------
    def predicate(self, e: Expr) -> z3.BoolRef:
        """A single-state IR predicate over the template state."""
        return self.term(e)  # type: ignore[return-value]

    def step_ok(self, b: int, post_pred: Expr | None = None) -> z3.BoolRef:
        """Binding ``b`` from the template state: enabled -> (assertions ∧ in domain), or,
        with ``post_pred`` (a transition property), enabled ∧ in domain -> post_pred(x, u_b(x))."""
        g = self.guards[b]
        if post_pred is None:
            return z3.Implies(g, z3.And(self.asserts_ok[b], self.in_domain[b]))
        post = [self.updates[b].get(i, self.x[i]) for i in range(len(self.fields))]
        t = self.term(post_pred, self.x, post, {})
        return z3.Implies(z3.And(g, self.in_domain[b]), t)

    def obligations(self, only: set[str] | None = None) -> list[Obligation]:
        """One :class:`Obligation` per safety property (action assertions first)."""
        out: list[Obligation] = []
        if only is None or ACTION_ASSERTIONS in only:
            ok = z3.And([self.step_ok(b.id) for b in self.system.bindings]
                        or [z3.BoolVal(True, self.ctx)])
            out.append(Obligation(ACTION_ASSERTIONS, ALWAYS, z3.simplify(ok), step=True))
        for k, p in enumerate(self.system.properties):
            if only is not None and p.name not in only:
                continue
            ob = self.obligation(p, k)
            if ob is not None:
                out.append(ob)
        return out

    def obligation(self, p: Property, k: int) -> Obligation | None:
        if p.kind == ALWAYS:
            return Obligation(p.name, p.kind, self.predicate(p.expr), lemma=p.lemma, prop_index=k)
        if p.kind == SOMETIMES:
            return Obligation(p.name, p.kind, z3.Not(self.predicate(p.expr)), prop_index=k)
        if p.kind == TRANSITION:
            ok = z3.And([self.step_ok(b.id, p.expr) for b in self.system.bindings]
                        or [z3.BoolVal(True, self.ctx)])
            return Obligation(p.name, p.kind, ok, step=True, prop_index=k)
        return None  # leads_to: not a state predicate

    def deadlock(self) -> z3.BoolRef:
        """No binding has a successor from the template state (the explorer's deadlock)."""
        return z3.And([z3.Not(z3.And(g, d)) for g, d in zip(self.guards, self.in_domain)]
                      or [z3.BoolVal(True, self.ctx)])

    # -- reading models back ---------------------------------------------------------------
    def decode_state(self, model: z3.ModelRef, s: Sequence[z3.ExprRef]) -> int:
        """A Z3 model's values of state copy ``s`` as a packed state."""
        vals = []
        for f, v in zip(self.fields, s):
            r = model.eval(v, model_completion=True)
            if f.sort == BOOL:
                vals.append(int(z3.is_true(r)))
            else:
                vals.append(r.as_signed_long() if self.arith == "bv" else r.as_long())
        return self.layout.pack(vals)

    def decode_action(self, model: z3.ModelRef, tag: int | str) -> int:
        """The binding taken from state ``tag`` (-1 if the model names none)."""
        for i, v in enumerate(self.selectors(tag)):
            if z3.is_true(model.eval(v, model_completion=True)):
                return i
        return -1

    # -- solvers -----------------------------------------------------------------------------
    def solver(self) -> z3.Solver:
        """A solver for unrollings: Z3's finite-domain engine (bounded ints bit-blasted to
        SAT, incremental), since every state variable has a finite domain."""
        return z3.SolverFor("QF_FD", ctx=self.ctx)


def _bv_width(system: System) -> int:
    """The smallest two's-complement width holding every value any IR node can take."""
    dom = {f.index: (f.lo, f.hi) for f in system.layout.fields}
    roots: list[Expr] = []
    for b in system.bindings:
        roots += [b.ir.guard, *b.ir.updates.values(), *(c for c, _ in b.ir.assertions)]
    for p in system.properties:
        roots += [e for e in (p.expr, p.pre, p.post) if e is not None]
    memo: dict[int, tuple[int, int]] = {}
    big = 0
    for f in system.layout.fields:
        big = max(big, abs(f.lo), abs(f.hi))
    for r in roots:
        for n in walk(r):
            if n.sort != BOOL and id(n) not in memo:
                lo, hi = interval(n, dom)
                memo[id(n)] = (lo, hi)
                big = max(big, abs(lo), abs(hi))
                if n.op == "mod" and n.args[1].op == "const":  # the ite chain's bounds
                    big = max(big, abs(lo) + abs(n.args[1].value), abs(hi) + abs(n.args[1].value))
    if big >= 1 << 60:
        raise UnsupportedOp("an expression is unbounded: no bit-vector width holds it")
    return big.bit_length() + 2  # sign bit, and room for ``x + 1`` comparisons


def _next(post: Sequence[z3.ExprRef] | None, n: Expr) -> z3.ExprRef:
    if post is None:
        raise UnsupportedOp("a transition expression was used on a single state")
    return post[n.value]


#: the Z3 term of each operator of :data:`~ppcheck.spec.expr.OPS`: ``(encoding, node,
#: argument terms, pre-state terms, post-state terms) -> term``
OP_TABLE: dict[str, Callable[..., z3.ExprRef]] = {
    "const": lambda enc, n, a, pre, post: enc.const_term(n),
    "var": lambda enc, n, a, pre, post: pre[n.value],
    "next": lambda enc, n, a, pre, post: _next(post, n),
    "add": lambda enc, n, a, pre, post: a[0] + a[1],
    "sub": lambda enc, n, a, pre, post: a[0] - a[1],
    "mul": lambda enc, n, a, pre, post: a[0] * a[1],
    "neg": lambda enc, n, a, pre, post: -a[0],
    "mod": lambda enc, n, a, pre, post: enc.mod_term(n, a),
    "min": lambda enc, n, a, pre, post: z3.If(a[0] <= a[1], a[0], a[1]),
    "max": lambda enc, n, a, pre, post: z3.If(a[0] >= a[1], a[0], a[1]),
    "eq": lambda enc, n, a, pre, post: a[0] == a[1],
    "ne": lambda enc, n, a, pre, post: a[0] != a[1],
    "lt": lambda enc, n, a, pre, post: a[0] < a[1],
    "le": lambda enc, n, a, pre, post: a[0] <= a[1],
    "and": lambda enc, n, a, pre, post: z3.And(*a),
    "or": lambda enc, n, a, pre, post: z3.Or(*a),
    "not": lambda enc, n, a, pre, post: z3.Not(a[0]),
    "ite": lambda enc, n, a, pre, post: z3.If(a[0], a[1], a[2]),
}
