"""The expression IR that every engine reads.

An action or property is ordinary Python run once per parameter binding against a
*symbolic* state view; what it reads and computes is recorded as :class:`Expr`
trees.  The explorer compiles them to Python source, the Z3 engine to terms, the
exporters to text.  There is one operator vocabulary (:data:`OPS`); each backend
supplies a table for it.

Python truthiness on an :class:`Expr` always raises :class:`SpecError`: z3py would
silently answer ``x == 0`` with structural equality, which is the wrong-answer-at-
run-time failure this layer exists to prevent.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Iterable
from typing import NoReturn, Union

BOOL = "bool"
INT = "int"

#: The operator vocabulary. Arity ``None`` means variadic.
OPS: dict[str, int | None] = {
    "const": 0, "var": 0, "next": 0,
    "add": 2, "sub": 2, "mul": 2, "neg": 1, "mod": 2, "min": 2, "max": 2,
    "eq": 2, "ne": 2, "lt": 2, "le": 2,
    "and": None, "or": None, "not": 1, "ite": 3,
}


class SpecError(Exception):
    """A model is written in a way the spec language cannot trace."""


Value = Union["Expr", int, bool]


class Expr:
    """One node of the IR: an operator, its arguments, and its sort (bool or int).

    ``var``/``next`` nodes carry the flat index of a state field (pre- and post-state);
    ``const`` nodes carry an int (booleans are 0/1 with sort bool).
    """

    __slots__ = ("op", "args", "sort", "value")

    def __init__(self, op: str, args: tuple = (), sort: str = INT, value: int = 0):
        self.op = op
        self.args = args
        self.sort = sort
        self.value = value

    # -- Python truthiness is forbidden ------------------------------------------------
    def __bool__(self) -> NoReturn:
        raise SpecError(
            "a state value was used as a Python truth value (`if`, `and`, `or`, `not`, "
            "`while`, chained comparison or `in`); write ite(c, a, b), when(c), "
            "c1 & c2, c1 | c2, ~c, all_(...), any_(...) instead"
        )

    __hash__ = object.__hash__  # identity: __eq__ builds an Expr

    def __iter__(self) -> NoReturn:
        raise SpecError("a state value cannot be iterated")

    def __index__(self) -> NoReturn:
        raise SpecError(
            "a state value was used where Python needs a concrete int (a range(), a list "
            "index); index a state array with it instead (s.pages[e])"
        )

    # -- arithmetic --------------------------------------------------------------------
    def __add__(self, o: Value) -> Expr:
        return mk("add", self, o)

    def __radd__(self, o: Value) -> Expr:
        return mk("add", o, self)

    def __sub__(self, o: Value) -> Expr:
        return mk("sub", self, o)

    def __rsub__(self, o: Value) -> Expr:
        return mk("sub", o, self)

    def __mul__(self, o: Value) -> Expr:
        return mk("mul", self, o)

    def __rmul__(self, o: Value) -> Expr:
        return mk("mul", o, self)

    def __neg__(self) -> Expr:
        return mk("neg", self)

    def __mod__(self, o: Value) -> Expr:
        return mk("mod", self, o)

    # -- comparison --------------------------------------------------------------------
    def __eq__(self, o: object) -> Expr:  # type: ignore[override]
        return mk("eq", self, o)

    def __ne__(self, o: object) -> Expr:  # type: ignore[override]
        return mk("ne", self, o)

    def __lt__(self, o: Value) -> Expr:
        return mk("lt", self, o)

    def __le__(self, o: Value) -> Expr:
        return mk("le", self, o)

    def __gt__(self, o: Value) -> Expr:
        return mk("lt", o, self)

    def __ge__(self, o: Value) -> Expr:
        return mk("le", o, self)

    # -- boolean connectives (bool sort only) ------------------------------------------
    def __and__(self, o: Value) -> Expr:
        return mk("and", self, o)

    def __rand__(self, o: Value) -> Expr:
        return mk("and", o, self)

    def __or__(self, o: Value) -> Expr:
        return mk("or", self, o)

    def __ror__(self, o: Value) -> Expr:
        return mk("or", o, self)

    def __invert__(self) -> Expr:
        return mk("not", self)

    def __repr__(self) -> str:
        return render(self)


def const(v: int | bool) -> Expr:
    if isinstance(v, bool):
        return Expr("const", (), BOOL, int(v))
    return Expr("const", (), INT, int(v))


TRUE = const(True)
FALSE = const(False)


def lift(v: object) -> Expr:
    """Turn a Python value (int, bool, IntEnum member) into an Expr."""
    if isinstance(v, Expr):
        return v
    if isinstance(v, bool):
        return const(v)
    if isinstance(v, (int, enum.IntEnum)):
        return const(int(v))
    raise SpecError(f"cannot use {type(v).__name__} value {v!r} in a state expression")


def is_const(e: object) -> bool:
    return not isinstance(e, Expr) or e.op == "const"


def const_value(e: Value) -> int:
    return e.value if isinstance(e, Expr) else int(e)


_ARITH = {"add", "sub", "mul", "neg", "mod", "min", "max"}
_CMP = {"eq", "ne", "lt", "le"}
_LOGIC = {"and", "or", "not"}


def _next(n: Expr, post: list[int] | None) -> int:
    if post is None:
        raise SpecError("a transition expression was evaluated on a single state")
    return post[n.value]


#: The reference semantics, one row per operator of :data:`OPS`: ``(node, argument values,
#: pre-state, post-state) -> value`` (booleans as 0/1).  Constant folding and
#: :func:`evaluate` read it; every backend has a table with the same keys
#: (``tests/test_operator_tables.py`` checks that each covers every operator).
OP_TABLE: dict[str, Callable[[Expr, list[int], list[int], list[int] | None], int]] = {
    "const": lambda n, a, pre, post: n.value,
    "var": lambda n, a, pre, post: pre[n.value],
    "next": lambda n, a, pre, post: _next(n, post),
    "add": lambda n, a, pre, post: a[0] + a[1],
    "sub": lambda n, a, pre, post: a[0] - a[1],
    "mul": lambda n, a, pre, post: a[0] * a[1],
    "neg": lambda n, a, pre, post: -a[0],
    "mod": lambda n, a, pre, post: a[0] % a[1],
    "min": lambda n, a, pre, post: min(a),
    "max": lambda n, a, pre, post: max(a),
    "eq": lambda n, a, pre, post: int(a[0] == a[1]),
    "ne": lambda n, a, pre, post: int(a[0] != a[1]),
    "lt": lambda n, a, pre, post: int(a[0] < a[1]),
    "le": lambda n, a, pre, post: int(a[0] <= a[1]),
    "and": lambda n, a, pre, post: int(all(a)),
    "or": lambda n, a, pre, post: int(any(a)),
    "not": lambda n, a, pre, post: int(not a[0]),
    "ite": lambda n, a, pre, post: a[1] if a[0] else a[2],
}


def _fold(op: str, vals: list[int]) -> int:
    if op not in OP_TABLE or OPS.get(op) == 0:
        raise SpecError(f"unknown operator {op}")
    return OP_TABLE[op](FALSE, vals, [], None)


#: the active mutation hooks (:mod:`ppcheck.spec.mutation`); empty outside ``ppcheck mutate``
HOOKS: list = []


def mk(op: str, *raw: object) -> Expr:
    """Build an operator node with sort checking and constant folding."""
    if HOOKS:
        return HOOKS[-1].mk(op, raw)
    return make(op, *raw)


def make(op: str, *raw: object) -> Expr:
    """:func:`mk` without the mutation hook (what a hook calls to build the node)."""
    args = [lift(a) for a in raw]
    if op in _ARITH:
        for a in args:
            if a.sort != INT:
                raise SpecError(f"arithmetic `{op}` on a boolean value ({render(a)})")
        sort = INT
    elif op in _CMP:
        if op in ("lt", "le") and any(a.sort != INT for a in args):
            raise SpecError(f"ordering comparison on a boolean value ({render(args[0])})")
        if args[0].sort != args[1].sort:
            # comparing a bool with 0/1 is allowed: coerce the int constant
            args = [_as_bool(a) if a.sort != BOOL and a.op == "const" else a for a in args]
            if args[0].sort != args[1].sort:
                raise SpecError(f"comparing a boolean with an integer: {render(args[0])}, {render(args[1])}")
        sort = BOOL
    elif op in _LOGIC:
        args = [_as_bool(a) for a in args]
        sort = BOOL
    elif op == "ite":
        c, t, f = args
        c = _as_bool(c)
        if t.sort != f.sort:
            if t.op == "const" and t.sort == INT and f.sort == BOOL:
                t = _as_bool(t)
            elif f.op == "const" and f.sort == INT and t.sort == BOOL:
                f = _as_bool(f)
            else:
                raise SpecError("ite() branches have different sorts (bool and int)")
        args = [c, t, f]
        sort = t.sort
    else:
        raise SpecError(f"unknown operator {op}")

    # constant folding and light simplification
    if all(a.op == "const" for a in args):
        v = _fold(op, [a.value for a in args])
        return const(bool(v)) if sort == BOOL else const(v)
    if op == "and":
        flat: list[Expr] = []
        for a in args:
            if a.op == "const":
                if not a.value:
                    return FALSE
                continue
            flat.extend(a.args if a.op == "and" else (a,))
        if not flat:
            return TRUE
        if len(flat) == 1:
            return flat[0]
        return Expr("and", tuple(flat), BOOL)
    if op == "or":
        flat = []
        for a in args:
            if a.op == "const":
                if a.value:
                    return TRUE
                continue
            flat.extend(a.args if a.op == "or" else (a,))
        if not flat:
            return FALSE
        if len(flat) == 1:
            return flat[0]
        return Expr("or", tuple(flat), BOOL)
    if op == "not" and args[0].op == "not":
        return args[0].args[0]
    if op == "ite":
        c, t, f = args
        if c.op == "const":
            return t if c.value else f
        if t is f:
            return t
    if op in ("add", "sub") and args[1].op == "const" and args[1].value == 0:
        return args[0]
    if op == "add" and args[0].op == "const" and args[0].value == 0:
        return args[1]
    return Expr(op, tuple(args), sort)


def _as_bool(a: Expr) -> Expr:
    if a.sort == BOOL:
        return a
    if a.op == "const" and a.value in (0, 1):
        return const(bool(a.value))
    raise SpecError(f"a boolean was expected, got the integer expression {render(a)}")


# -- helpers for spec authors -------------------------------------------------------------

def ite(c: Value, a: Value, b: Value) -> Expr:
    """``a`` if ``c`` else ``b``, for state-dependent choice."""
    return mk("ite", c, a, b)


def all_(xs: Iterable[Value]) -> Expr:
    return mk("and", *list(xs))


def any_(xs: Iterable[Value]) -> Expr:
    return mk("or", *list(xs))


def implies(a: Value, b: Value) -> Expr:
    return mk("or", mk("not", a), b)


def not_(a: Value) -> Expr:
    return mk("not", a)


def count(xs: Iterable[Value]) -> Expr:
    """How many of the boolean expressions hold."""
    total: Expr = const(0)
    for x in xs:
        total = mk("add", total, mk("ite", x, 1, 0))
    return total


def sum_(xs: Iterable[Value]) -> Expr:
    total: Expr = const(0)
    for x in xs:
        total = mk("add", total, x)
    return total


def min_(a: Value, b: Value) -> Expr:
    return mk("min", a, b)


def max_(a: Value, b: Value) -> Expr:
    return mk("max", a, b)


def serial_distance(a: Value, b: Value, bits: int) -> Expr:
    """The kernel's ``_distance(a, b)``: ``(s32)(a - b)`` for ``bits``-wide counters.

    Serial-number arithmetic: the signed difference, valid while it is below 2^(bits-1).
    """
    half = 1 << (bits - 1)
    return mk("sub", mk("mod", mk("add", mk("sub", a, b), half), 1 << bits), half)


# -- rendering ----------------------------------------------------------------------------

_INFIX = {"add": "+", "sub": "-", "mul": "*", "mod": "%", "eq": "==", "ne": "!=",
          "lt": "<", "le": "<=", "and": "&", "or": "|"}


#: field names of the layout being traced, so error messages name fields, not indices
FIELD_NAMES: list[list[str]] = []


def render(e: Expr, names: list[str] | None = None) -> str:
    """A readable text for an expression (field names when known)."""
    if names is None and FIELD_NAMES:
        names = FIELD_NAMES[-1]
    if e.op == "const":
        return ("True" if e.value else "False") if e.sort == BOOL else str(e.value)
    if e.op in ("var", "next"):
        n = names[e.value] if names else f"f{e.value}"
        return n if e.op == "var" else n + "'"
    if e.op in _INFIX:
        sep = f" {_INFIX[e.op]} "
        return "(" + sep.join(render(a, names) for a in e.args) + ")"
    if e.op == "not":
        return "~" + render(e.args[0], names)
    if e.op == "neg":
        return "-" + render(e.args[0], names)
    return f"{e.op}(" + ", ".join(render(a, names) for a in e.args) + ")"


def walk(e: Expr) -> Iterable[Expr]:
    """Every node of ``e`` (pre-order; shared nodes are visited once)."""
    seen: set[int] = set()
    stack = [e]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        stack.extend(n.args)


def digest(e: Expr, memo: dict[int, str]) -> str:
    """A structural hash of ``e``: the same for structurally equal trees (fingerprints, mutant
    identity, guards that name the same index); ``memo`` maps node ids to their hashes."""
    k = id(e)
    if k not in memo:
        inner = "|".join(digest(a, memo) for a in e.args)
        memo[k] = hashlib.sha1(f"{e.op}:{e.sort}:{e.value}({inner})".encode()).hexdigest()
    return memo[k]


def fields_read(e: Expr) -> set[int]:
    return {n.value for n in walk(e) if n.op == "var"}


def evaluate(e: Expr, pre: list[int], post: list[int] | None = None) -> int:
    """Evaluate an expression on concrete field values (reference semantics, slow)."""
    memo: dict[int, int] = {}

    def ev(n: Expr) -> int:
        k = id(n)
        if k in memo:
            return memo[k]
        # ite, and, or lazily: what is not reached may be undefined (a mod by zero)
        if n.op == "ite":
            r = ev(n.args[1]) if ev(n.args[0]) else ev(n.args[2])
        elif n.op == "and":
            r = int(all(ev(a) for a in n.args))
        elif n.op == "or":
            r = int(any(ev(a) for a in n.args))
        else:
            r = OP_TABLE[n.op](n, [ev(a) for a in n.args], pre, post)
        memo[k] = r
        return r

    return ev(e)
