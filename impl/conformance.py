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


_CHECKERS: dict[tuple[str, str, str], SpecChecker] = {}


def checker_for(system: System) -> SpecChecker:
    """One compiled :class:`SpecChecker` per (model, configuration, fingerprint)."""
    key = (system.name, repr(system.config), system.fingerprint)
    if key not in _CHECKERS:
        _CHECKERS[key] = SpecChecker(system)
    return _CHECKERS[key]


# ---------------------------------------------------------------------------------------
# the harness: a World stepped in lock-step with the spec
# ---------------------------------------------------------------------------------------

#: label argument names -> spec action parameter names
ARG_NAMES = {"page": "p", "skb": "k"}


_PARAMS: dict[type, dict[str, set[str]]] = {}


def _params(model: type) -> dict[str, set[str]]:
    if model not in _PARAMS:
        _PARAMS[model] = {d.name: set(d.params) for d in model.action_defs()}
    return _PARAMS[model]


def spec_args(system: System, label: Step, ctx: int | None) -> tuple[str | None, dict[str, Any]]:
    """The spec action and (known) arguments a step label claims."""
    if label.arg("stutter"):
        return None, {}
    action = getattr(system.model, "renames", {}).get(label.action, label.action)
    params = _params(system.model).get(action, set())
    args: dict[str, Any] = {}
    for k, v in label.args:
        name = ARG_NAMES.get(k, k)
        if name in params and name != "dest":
            args[name] = -1 if v is None else v
    if ctx is not None and "c" in params:
        args["c"] = ctx
    return action, args


class Conformance:
    """A :class:`~ppcheck.impl.world.World` and the spec state it abstracts to.

    Every step taken through :meth:`step`, :meth:`start` or :meth:`event` is checked:
    it must be a transition of the spec action its label claims (or a declared
    stutter), and with ``invariants`` the spec's ``always`` properties must hold on the
    new abstract state.  A failed check raises :class:`NonConformance`.
    """

    def __init__(self, system: System, sw: Any = None, invariants: bool = True,
                 checker: SpecChecker | None = None, lenient: bool = False,
                 check_init: bool = True):
        from .abstraction import abstract
        from .switches import MAINLINE
        from .world import World

        self.system = system
        self.checker = checker or checker_for(system)
        self.world = World(dict(system.config.params), sw or MAINLINE)
        self._abstract = abstract
        self.invariants = invariants
        self.state = abstract(self.world, system) if check_init else 0
        if check_init and self.state not in system.init_states:
            raise NonConformance("the initial implementation state is not an initial spec state: "
                                 + self.checker.diff(system.init_states[0], self.state))
        self.log: list[tuple[str, Step, int]] = []
        self.violated: list[str] = []
        #: misuse mode: steps the spec does not allow are recorded here, not raised
        self.lenient = lenient
        self.outside: list[str] = []
        self.offset = 0  # steps taken before the log started (an unchecked prefix)

    def abstract(self) -> int:
        from ppcheck.spec.expr import SpecError

        try:
            return self._abstract(self.world, self.system)
        except SpecError as e:
            raise NonConformance(f"the implementation state has no spec counterpart: {e}") from None

    def _check(self, who: str, label: Step, ctx: int | None, warned_before: int) -> Step:
        from .abstraction import unmodelled_warnings

        after = self.abstract()
        action, args = spec_args(self.system, label, ctx)
        extra = unmodelled_warnings(self.world)[warned_before:]
        try:
            self.checker.step(self.state, label, action, args, after, impl_warned=False)
        except NonConformance as e:
            if not self.lenient:
                raise NonConformance(f"step {self._n()} ({who}): {e}") from None
            self.outside.append(f"step {self._n()} ({who}) {label}")
        if extra and not self.lenient:
            raise NonConformance(f"step {self._n()} ({who}) {label}: the implementation "
                                 f"WARNs where the spec has no counterpart: {extra}")
        self.state = after
        self.log.append((who, label, after))
        if self.invariants:
            bad = self.checker.invariants_violated(after)
            if bad:
                self.violated = bad
                raise NonConformance(f"step {self._n() - 1} ({who}) {label}: invariant(s) "
                                     f"{', '.join(bad)} violated on the abstract state")
        return label

    def _n(self) -> int:
        return self.offset + len(self.log) + 1

    def _nwarn(self) -> int:
        from .abstraction import unmodelled_warnings

        return len(unmodelled_warnings(self.world))

    def step(self, c: int) -> Step:
        """One step of context ``c`` (which must be enabled)."""
        n = self._nwarn()
        label = self.world.step(c)
        return self._check(self.world.ctx[c].name, label, c, n)

    def start(self, op: Any) -> Step:
        """Start a call and take its first step."""
        self.world.start(op)
        if self.abstract() != self.state:
            raise NonConformance(f"starting {op.name} changed the state before its first step")
        return self.step(op.ctx)

    def event(self, fn: Any, *args: Any) -> Step:
        """A one-step event: ``fn`` is a World event method (napi_schedule, get_page, ...)."""
        n = self._nwarn()
        label = fn(*args)
        ctx = label.arg("c")
        return self._check("irq/stack", label, ctx, n)

    def spec_enabled(self, action: str, **args: Any) -> bool:
        """Is some binding of ``action`` with these arguments enabled in the spec state?"""
        for b in self.checker.by_action.get(action, ()):
            if all(b.args.get(k, v) == v for k, v in args.items()):
                t, err = self.checker.conc.step(self.state, b)
                if t is not None or err is not None:
                    return True
        return False
