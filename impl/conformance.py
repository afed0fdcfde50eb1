"""Conformance: every implementation step is a transition of the spec action it claims.

The check is the refinement mapping of TLA+ made executable.  Before and after each
implementation step the abstraction function (:mod:`ppcheck.impl.abstraction`) maps
the implementation state to a spec state.  The step's label names a spec action and
some of its arguments; the step conforms when some binding of that action with those
arguments, executed by the spec (:class:`ppcheck.checks.explorer.Concrete`), leads from
the abstract pre-state to exactly the abstract post-state.  A label the abstraction
declares a *stutter* (a step the spec does not see, e.g. reading a value nobody
else can change) must leave the abstract state unchanged.  On top of that, every
``always`` property of the spec must hold on every abstract state reached, and a
kernel ``WARN`` in the implementation must coincide with an action assertion of the
spec (and vice versa).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ppcheck.checks.explorer import Concrete
from ppcheck.spec.model import ALWAYS, Binding, System

from .kernel import Step


class NonConformance(AssertionError):
    """An implementation step the spec does not allow (or an invariant it breaks)."""


@dataclass
class StepReport:
    label: Step
    binding: Binding | None  # None for a stutter
    spec_error: Any = None


def _args_match(b: Binding, label: Step) -> bool:
    for k, v in label.args:
        if k not in b.args:
            continue
        bv = b.args[k]
        bv = getattr(bv, "name", bv) if not isinstance(v, int) or isinstance(v, bool) else bv
        if v is None:
            v = -1
        if bv != v:
            return False
    return True


class SpecChecker:
    """Check implementation steps against one spec :class:`System`."""

    def __init__(self, system: System):
        self.system = system
        self.conc = Concrete(system)
        self.by_action: dict[str, list[Binding]] = defaultdict(list)
        for b in system.bindings:
            self.by_action[b.action].append(b)
        self.invariants = [(i, p.name) for i, p in enumerate(system.properties)
                           if p.kind == ALWAYS]
        #: how often each spec action was matched (coverage of the conformance runs)
        self.coverage: dict[str, int] = defaultdict(int)

    def describe(self, s: int) -> str:
        return str(self.system.layout.to_json(s))

    def diff(self, a: int, b: int) -> str:
        lay = self.system.layout
        out = []
        for f, x, y in zip(lay.fields, lay.unpack(a), lay.unpack(b)):
            if x != y:
                out.append(f"{f.name}: {f.show(x)!r} -> {f.show(y)!r}")
        return "; ".join(out) or "no change"

    def step(self, before: int, label: Step, action: str | None, args: dict[str, Any],
             after: int, impl_warned: bool) -> StepReport:
        """Check one step; raise :class:`NonConformance` naming what the spec says."""
        if action is None:
            if before != after:
                raise NonConformance(
                    f"{label} claims to be invisible to the spec but changes "
                    f"{self.diff(before, after)}")
            return StepReport(label, None)
        cands = [b for b in self.by_action.get(action, ())
                 if all(b.args.get(k, v) == v for k, v in args.items())]
        if not cands:
            raise NonConformance(f"{label}: the spec has no action {action}{args}")
        tried = []
        for b in cands:
            t, err = self.conc.step(before, b)
            if err is not None and t is None and impl_warned and before == after:
                self.coverage[action] += 1
                return StepReport(label, b, err)
            if t is None and err is None:
                tried.append(f"{b.label()} disabled")
                continue
            if t == after:
                if (err is not None) != impl_warned:
                    tried.append(f"{b.label()} matches but the spec "
                                 f"{'asserts ' + str(err[1]) if err else 'raises no assertion'} "
                                 f"while the implementation {'warned' if impl_warned else 'did not'}")
                    continue
                self.coverage[action] += 1
                return StepReport(label, b, err)
            tried.append(f"{b.label()} would give {self.diff(before, t) if t is not None else err}")
        raise NonConformance(
            f"{label} is not a transition of {action}: the implementation did "
            f"[{self.diff(before, after)}]; the spec: " + " | ".join(tried))

    def invariants_violated(self, s: int) -> list[str]:
        return [name for i, name in self.invariants if not self.conc.holds(i, s)]
