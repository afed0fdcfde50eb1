"""Replay a stored trace against its model and verify every recorded state.

A trace is trusted only after this: the model named in it is rebuilt with the
trace's configuration, its fingerprint must match, every step must be enabled and
produce exactly the recorded state, and the trace must show what it claims (the
property fails at the end, the witness is reached, the loop closes).
"""

from __future__ import annotations

from dataclasses import dataclass

from ppcheck.spec.expr import SpecError
from ppcheck.spec.model import ALWAYS, LEADS_TO, SOMETIMES, TRANSITION, Config, System

from .explorer import Concrete
from .symmetry import same_orbit
from .traces import Trace, TraceError
from .verdict import ACTION_ASSERTIONS


@dataclass
class ReplayResult:
    steps: int
    claim: str  # what the replay confirmed, in words


def system_for(trace: Trace, model: type | None = None) -> System:
    """Build the model and configuration a trace was recorded on.

    The model is ``model`` if given, else the trace's recorded ``source`` (a file or module)
    or its registered name; one that cannot be found raises
    :class:`ppcheck.loading.ModelLoadError` (bad input, not a failed replay).
    """
    from ppcheck.loading import ModelLoadError, model_for_trace

    if model is None:
        try:
            model = model_for_trace(trace.model, trace.source)
        except ModelLoadError:
            raise
        except SpecError as e:
            raise ModelLoadError(f"trace of model {trace.model}: {e}") from None
    cfg = trace.config
    name = cfg.get("name")
    params = cfg.get("params")
    if not isinstance(name, str) or not isinstance(params, dict):
        raise TraceError("trace: config must be an object with 'name' and 'params'")
    if name not in model.configs:
        raise TraceError(f"trace: model {model.name} has no configuration {name!r} "
                         f"(it has: {', '.join(model.configs)})")
    from ppcheck.loading import build_system

    try:
        return build_system(model, Config(name, **params))
    except SpecError as e:
        raise TraceError(f"trace: configuration {name} does not build: {e}") from None


def _diff(system: System, a: int, b: int) -> str:
    lay = system.layout
    va, vb = lay.unpack(a), lay.unpack(b)
    for f, x, y in zip(lay.fields, va, vb):
        if x != y:
            return f"{f.name}: recorded {f.show(x)!r}, replayed {f.show(y)!r}"
    return "identical"


def replay(trace: Trace, system: System | None = None, concrete: Concrete | None = None) -> ReplayResult:
    """Re-execute ``trace``; raise :class:`TraceError` naming the first problem.

    ``concrete`` executes the model (default: the Python-compiled :class:`Concrete`; the
    native explorer passes its C one, already built)."""
    system = system or system_for(trace)
    if trace.fingerprint != system.fingerprint:
        raise TraceError(
            f"stale trace: recorded on {trace.model} with fingerprint {trace.fingerprint}, but the "
            f"model built with the trace's configuration is {system.fingerprint} (the model or the "
            "configuration changed since the trace was written)")
    lay = system.layout
    conc = concrete or Concrete(system)

    def state_of(i: int) -> int:
        st = trace.steps[i].state
        try:
            return lay.from_json(st)
        except SpecError as e:
            raise TraceError(f"step {i}: {e}") from None

    cur = state_of(0)
    if cur not in system.init_states:
        raise TraceError("step 0: the recorded initial state is not an initial state of the model")
    states = [cur]
    last_error = None
    last_binding = None
    for i, st in enumerate(trace.steps[1:], start=1):
        try:
            b = system.binding_by_label(st.action or "", st.args)
        except SpecError as e:
            raise TraceError(f"step {i}: {e}") from None
        if st.who and st.who != b.who:
            raise TraceError(f"step {i}: {b.label()} is run by {b.who or 'no context'}, "
                             f"not {st.who!r} as recorded")
        t, err = conc.step(cur, b)
        if t is None and err is None:
            raise TraceError(f"step {i}: {b.label()} is not enabled in the state of step {i - 1}")
        if st.error:
            if err is None or f"{err[0]}: {err[1]}" != st.error:
                raise TraceError(f"step {i}: recorded failure {st.error!r} does not happen on replay")
            if i != len(trace.steps) - 1:
                raise TraceError(f"step {i}: a failing step must be the last one")
            last_error = err
        elif err is not None and st.state is None:
            raise TraceError(f"step {i}: replay fails with {err[1]!r}, not recorded")
        if st.state is not None:
            rec = state_of(i)
            if t != rec:
                raise TraceError(f"step {i}: {b.label()} gives a different state: {_diff(system, rec, t)}")
            cur = t
            states.append(cur)
        last_binding = b
    n = len(trace.steps) - 1

    # does the trace show what it claims?
    if trace.property == ACTION_ASSERTIONS:
        if last_error is None:
            raise TraceError("the trace claims an assertion failure but its last step does not fail")
        return ReplayResult(n, f"{last_binding.label()} fails: {last_error[1]}")
    try:
        k = next(i for i, p in enumerate(system.properties) if p.name == trace.property)
    except StopIteration:
        raise TraceError(f"model {system.name} has no property {trace.property!r}") from None
    kind = system.properties[k].kind
    if kind == ALWAYS:
        if conc.holds(k, cur):
            raise TraceError(f"{trace.property} holds in the last state: the trace shows no violation")
        return ReplayResult(n, f"{trace.property} is false in the last state")
    if kind == SOMETIMES:
        if not conc.holds(k, cur):
            raise TraceError(f"{trace.property} is not reached in the last state")
        return ReplayResult(n, f"{trace.property} is reached in the last state")
    if kind == TRANSITION:
        if len(states) < 2 or conc.holds(k, states[-2], states[-1]):
            raise TraceError(f"{trace.property} holds on the last transition")
        return ReplayResult(n, f"{trace.property} fails on the last transition")
    if kind == LEADS_TO:
        return _check_lasso(trace, system, conc, k, states)
    raise TraceError(f"unknown property kind {kind!r}")  # pragma: no cover


def _check_lasso(trace: Trace, system: System, conc: Concrete, k: int, states: list[int]) -> ReplayResult:
    from .compile import compile_predicate

    prop = system.properties[k]
    p, q = compile_predicate(system, prop.pre), compile_predicate(system, prop.post)
    last = states[-1]
    if trace.loop_start is None:
        if any(t is not None for _, t, _ in conc.successors(last)):
            raise TraceError("the lasso has no loop and its last state is not a deadlock")
        tail_from = len(states) - 1
    else:
        if not same_orbit(system, last, states[trace.loop_start]):
            raise TraceError("the loop does not close: the last state differs from the loop start")
        tail_from = trace.loop_start
    starts = [i for i in range(len(states)) if p(states[i]) and not any(q(s) for s in states[i:])]
    if not starts or starts[0] > tail_from:
        raise TraceError(f"{trace.property}: no p-state after which q never holds")
    return ReplayResult(len(states) - 1, f"{trace.property}: q never holds after step {starts[0]}")
