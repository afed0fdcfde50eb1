"""Quantitative properties: the largest value of a ratio over the reachable states.

A model declares ``ratios(self, s) -> dict[str, list[tuple[num, den]]]``: for each named
quantity, a list of (numerator, denominator) expression pairs (one per socket, say).
:func:`max_ratios` explores the model and returns, per quantity, the largest ``num/den``
over every reachable state and every pair with ``num > 0`` and ``den > 0`` (a pair
with a zero numerator does not apply in that state), the state where it is reached
and the shortest path to it.  Seed 003 uses it for Alexander Duyck's truesize argument:
memory a socket pins over the truesize reported for it.

The maximum is over the explored states, so it is exact only for a complete search
(``complete`` says so); each pair must be symmetric under the model's symmetry (a
per-socket list is, when sockets are not a symmetric array or the list covers them all).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ppcheck.spec.expr import Expr, lift
from ppcheck.spec.model import Model, System, build

from .compile import compile_state_function
from .explorer import Explorer


@dataclass
class RatioResult:
    name: str
    max: Fraction | None  # None when no reachable state has a positive denominator
    state: dict | None
    path: list[str]
    complete: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "max": None if self.max is None else str(self.max),
                "max_float": None if self.max is None else round(float(self.max), 4),
                "state": self.state, "path": self.path, "complete": self.complete}


def ratio_exprs(system: System) -> dict[str, list[tuple[Expr, Expr]]]:
    got = system.trace_hook("ratios") or {}
    return {k: [(lift(a), lift(b)) for a, b in v] for k, v in got.items()}


def _compile(system: System, pairs: list[tuple[Expr, Expr]]) -> Callable[[int], list[tuple[int, int]]]:
    """Every (numerator, denominator) pair's values on a packed state."""
    values = compile_state_function(system, [e for p in pairs for e in p], "_q")

    def terms(s: int) -> list[tuple[int, int]]:
        v = values(s)
        return [(v[2 * i], v[2 * i + 1]) for i in range(len(pairs))]

    return terms


def max_ratios(model: type[Model], config: str = "default", max_states: int | None = None,
               explorer: Explorer | None = None) -> dict[str, RatioResult]:
    """Explore ``model`` (or reuse a finished ``explorer``) and maximise each declared ratio."""
    if explorer is None:
        explorer = Explorer(build(model, config), max_states=max_states)
        run = explorer.run()
        complete = run.complete
    else:
        complete = explorer.head >= len(explorer.states)
    system = explorer.system
    out: dict[str, RatioResult] = {}
    for name, pairs in ratio_exprs(system).items():
        terms = _compile(system, pairs)
        best: Fraction | None = None
        where = -1
        for i, s in enumerate(explorer.states):
            for a, b in terms(s):
                if a > 0 and b > 0:
                    r = Fraction(a, b)
                    if best is None or r > best:
                        best, where = r, i
        state = system.layout.to_json(explorer.states[where]) if where >= 0 else None
        path = ([b.label() for b, _ in explorer.concrete_path(where)[1:] if b is not None]
                if where >= 0 else [])
        out[name] = RatioResult(name, best, state, path, complete)
    return out
