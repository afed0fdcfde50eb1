"""One operator vocabulary, one table per backend: every table covers every operator of OPS.

A backend is any module of the spec language or the engines (``ppcheck.spec``,
``ppcheck.checks`` and their subpackages, the compiled backend included when it lands) that
defines a table named ``OP_TABLE`` or ``*_OP_TABLE``.  Adding an operator to ``OPS`` without
a row in every table fails here; so does a table that gives an operator another meaning than
the reference semantics (``spec/expr.py:OP_TABLE``) on sample values.
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil

import pytest
import z3

import ppcheck.checks
import ppcheck.spec
from ppcheck.spec.expr import BOOL, INT, OPS, Expr, const, evaluate

#: tables that must exist (a backend that loses its table is not "covered" by absence)
KNOWN = {"ppcheck.spec.expr.OP_TABLE", "ppcheck.checks.compile.OP_TABLE",
         "ppcheck.spec.bounds.INTERVAL_OP_TABLE", "ppcheck.checks.z3_encode.OP_TABLE",
         "ppcheck.checks.promela.OP_TABLE", "ppcheck.checks.murphi.OP_TABLE"}


def _tables() -> dict[str, dict]:
    out = {}
    for pkg in (ppcheck.spec, ppcheck.checks):
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            try:
                mod = importlib.import_module(info.name)
            except ImportError:  # pragma: no cover - an optional backend's dependency is absent
                continue
            for name, val in vars(mod).items():
                if name.endswith("OP_TABLE") and isinstance(val, dict):
                    out[f"{info.name}.{name}"] = val
        out.update({f"{pkg.__name__}.{n}": v for n, v in vars(pkg).items()
                    if n.endswith("OP_TABLE") and isinstance(v, dict)})
    return out


TABLES = _tables()


def test_every_known_backend_has_a_table():
    assert set(TABLES) >= KNOWN, sorted(KNOWN - set(TABLES))


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_covers_every_operator(name):
    table = TABLES[name]
    assert set(table) == set(OPS), (f"{name}: missing {sorted(set(OPS) - set(table))}, "
                                    f"extra {sorted(set(table) - set(OPS))}")


def _var(i: int, sort: str = INT) -> Expr:
    return Expr("var", (), sort, i)


def _samples(op: str):
    """Nodes of ``op`` over variables, with the variables' sample values."""
    ints = [-3, 0, 2, 5]
    if op in ("and", "or"):
        for vals in itertools.product([0, 1], repeat=3):
            yield Expr(op, tuple(_var(i, BOOL) for i in range(3)), BOOL), list(vals)
    elif op == "not":
        for v in (0, 1):
            yield Expr(op, (_var(0, BOOL),), BOOL), [v]
    elif op == "ite":
        for c, a, b in itertools.product([0, 1], ints, ints):
            yield Expr(op, (_var(0, BOOL), _var(1), _var(2)), INT), [c, a, b]
    elif op == "neg":
        for v in ints:
            yield Expr(op, (_var(0),), INT), [v]
    elif OPS[op] == 2:
        sort = BOOL if op in ("eq", "ne", "lt", "le") else INT
        for a, b in itertools.product(ints, ints):
            if op == "mod" and b == 0:
                continue
            yield Expr(op, (_var(0), _var(1)), sort), [a, b]


OPERATORS = [op for op, n in OPS.items() if n != 0]


@pytest.mark.parametrize("op", OPERATORS)
def test_python_and_z3_tables_agree_with_the_reference(op):
    from ppcheck.checks.compile import Emitter
    from ppcheck.checks.z3_encode import OP_TABLE as Z3
    from ppcheck.checks.z3_encode import Encoding
    from ppcheck.models.toys import Increment
    from ppcheck.spec import build

    enc = Encoding(build(Increment))  # the real encoder's hooks (constants, Python's %)
    n = 0
    for e, vals in _samples(op):
        want = evaluate(e, vals)
        src = Emitter("t", set()).expr(e)
        got_py = eval(src, {}, {f"f{i}": v for i, v in enumerate(vals)})
        assert int(got_py) == want, (op, vals, src)
        terms = [z3.BoolVal(bool(v)) if a.sort == BOOL else z3.IntVal(v) for a, v in zip(e.args, vals)]
        got_z3 = z3.simplify(Z3[op](enc, e, terms, [], None))
        got = int(z3.is_true(got_z3)) if z3.is_bool(got_z3) else got_z3.as_long()
        assert got == want, (op, vals)
        n += 1
    assert n > 0


def test_constant_folding_uses_the_reference_table():
    from ppcheck.spec.expr import mk

    assert mk("mod", -3, 5).value == 2 and mk("min", 4, -1).value == -1
    assert const(3).op == "const"
