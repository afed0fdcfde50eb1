"""``ppcheck replay --impl TRACE``: run a stored counterexample on the implementation.

The trace's model picks the implementation's switches (:data:`~ppcheck.impl.switches.
MODEL_SWITCHES`); a model whose design the implementation does not run (another state
schema: seeds 000, 001, 003) is reported as such.  Each trace step becomes the
implementation event it names: the context's pending step if its label is that action
(the allocation path and the scrub loops claim the action they turn out to be), else
the call that starts with it (``napi_xdp_drop`` starts ``page_pool_recycle_direct()``,
``page_pool_put_full_page`` a user's put, ...), or an event outside the contexts
(``napi_schedule``, ``get_page``, ``skb_clone``, ...).  The buddy allocator is told
which free page to hand out (the spec's ``page_pool_alloc_slow(p)`` choice) and an
allocation failure is injected where the trace has one.

Each step is checked twice: it must conform (a transition of the claimed spec action)
and the abstraction of the implementation state must *equal* the state the trace
recorded.  At the end the trace's property must fail on the implementation's
abstract state.  Otherwise the report names the first step the implementation cannot
take or takes differently.
"""

from __future__ import annotations

from typing import Any

from ppcheck.checks.traces import Trace, TraceError
from ppcheck.models.pagepool import Loc
from ppcheck.spec.expr import SpecError
from ppcheck.spec.model import ALWAYS, LEADS_TO, SOMETIMES, TRANSITION, System

from .conformance import Conformance, NonConformance
from .explore import ALLOC
from .switches import MODEL_SWITCHES, Switches
from .world import Op

#: a pending label -> the spec actions its step may claim
CLAIMS = {
    "page_pool_alloc_pages": set(ALLOC),
    "page_pool_scrub": {"page_pool_scrub", "page_pool_empty_alloc_cache_once"},
    "page_pool_empty_ring": {"page_pool_empty_ring", "page_pool_inflight"},
}

#: spec action -> the world event method that performs it
EVENT_ACTIONS = {
    "napi_schedule": ("napi_schedule", ("cpu",)),
    "get_page": ("get_page", ("p",)),
    "stack_put_page": ("stack_put_page", ("p",)),
    "skb_clone": ("skb_clone", ("k", "m")),
    "pskb_expand_head": ("pskb_expand_head", ("k", "n")),
    "skb_try_coalesce": ("skb_try_coalesce", ("k", "m")),
    "napi_enable_new_pool": ("napi_enable_new_pool", ("c",)),
    "napi_swap_pool": ("napi_swap_pool", ("c",)),
}


def _op_for(action: str, c: int, a: dict[str, Any]) -> Op | None:
    """The call whose first step is ``action`` in context ``c``."""
    if action == "napi_poll_begin":
        return Op(c, "napi_poll_begin", action, {})
    if action == "napi_poll_end":
        return Op(c, f"napi_poll_end({a['complete']})", action, {"complete": a["complete"]})
    if action in ALLOC:
        if a.get("dest") == Loc.FRAG.name:
            return Op(c, "alloc_frag", "page_pool_alloc_frag", {})
        return Op(c, "alloc", "page_pool_alloc_pages", {})
    if action in ("page_pool_alloc_frag", "page_pool_drain_frag"):
        return Op(c, "alloc_frag", "page_pool_alloc_frag", {})
    if action in ("napi_xdp_drop", "napi_rx_pass", "page_pool_put_full_page"):
        return Op(c, f"{action}({a['p']})", action, {"p": a["p"]})
    if action == "napi_build_skb":
        return Op(c, f"build_skb({a['p']})", action, {"p": a["p"], "k": a["k"], "j": a["j"]})
    if action == "kfree_skb":
        return Op(c, f"kfree_skb({a['k']})", action, {"k": a["k"]})
    return None


def _describe(h: Conformance, i: int, action: str, a: dict[str, Any], why: str) -> str:
    return f"cannot take step {i} {action}({a}) on the implementation: {why}"


def replay_on_impl(trace: Trace, sw: Switches | None = None,
                   system: System | None = None) -> tuple[bool, str]:
    """Run ``trace`` on the implementation; (it really happens there, the report).

    ``sw`` overrides the switches the trace's model selects (e.g. run a seed 004
    counterexample on the mainline design to see the step where mainline refuses it, or
    a seeded-bug model's counterexample on the matching mutation); ``system`` gives the
    model when it is not in the registry (the seeded-bug models of the tests).
    """
    from ppcheck.checks.replay import system_for

    if trace.model not in MODEL_SWITCHES and (sw is None or system is None):
        return False, (f"no implementation of {trace.model}: the implementation runs mainline's "
                       f"state and its variants ({', '.join(sorted(MODEL_SWITCHES))})")
    sw = sw if sw is not None else MODEL_SWITCHES[trace.model]
    if system is None:
        try:
            system = system_for(trace)
        except TraceError as e:
            return False, str(e)
    if trace.fingerprint != system.fingerprint:
        return False, (f"stale trace: recorded on {trace.model} fingerprint {trace.fingerprint}, "
                       f"the model is now {system.fingerprint}")
    try:
        h = Conformance(system, sw, invariants=False)
    except NonConformance as e:
        return False, str(e)
    renames = {v: k for k, v in getattr(system.model, "renames", {}).items()}
    w = h.world
    lay = system.layout
    for i, st in enumerate(trace.steps[1:], start=1):
        action = renames.get(st.action or "", st.action or "")
        a = dict(st.args)
        try:
            if action in EVENT_ACTIONS:
                meth, names = EVENT_ACTIONS[action]
                h.event(getattr(w, meth), *[a[n] for n in names])
            elif "c" in a:
                c = int(a["c"])
                pending = w.pending(c)
                if pending is None:
                    op = _op_for(action, c, a)
                    if op is None:
                        return False, _describe(h, i, action, a, f"context {c} is idle and no call "
                                                "starts with this action")
                    if action == "page_pool_alloc_slow":
                        w.k.next_pfn = int(a["p"])
                    if action == "page_pool_alloc_fail":
                        w.k.fail_alloc = True
                    if not h.spec_enabled(st.action or "",
                                          **{k: v for k, v in a.items() if k != "dest"}):
                        return False, _describe(h, i, action, a, "the spec does not allow it here")
                    w.start(op)
                    if not w.enabled(c):
                        return False, _describe(h, i, action, a, f"{w.pending(c)} is not enabled")
                    h.step(c)
                else:
                    if action != pending.action and action not in CLAIMS.get(pending.action, ()):
                        return False, _describe(h, i, action, a, f"context {c} is at {pending}")
                    if not w.enabled(c):
                        return False, _describe(h, i, action, a, f"context {c} cannot run {pending}")
                    if action == "page_pool_alloc_slow":
                        w.k.next_pfn = int(a["p"])
                    if action == "page_pool_alloc_fail":
                        w.k.fail_alloc = True
                    h.step(c)
            else:
                return False, _describe(h, i, action, a, "no context and no event performs it")
        except NonConformance as e:
            return False, f"step {i} {action}: {e}"
        if st.state is not None:
            try:
                rec = lay.from_json(st.state)
            except SpecError as e:
                return False, f"step {i}: {e}"
            if rec != h.state:
                return False, (f"step {i} {action}: the implementation's state differs from the "
                               f"trace: {h.checker.diff(rec, h.state)}")
    n = len(trace.steps) - 1
    try:
        k = next(j for j, p in enumerate(system.properties) if p.name == trace.property)
    except StopIteration:
        return False, f"{trace.model} has no property {trace.property!r}"
    prop = system.properties[k]
    if prop.kind == ALWAYS:
        if h.checker.conc.holds(k, h.state):
            return False, f"{n} steps run, but {trace.property} holds on the implementation"
        return True, (f"happens on the implementation ({sw.describe()}): {n} steps, every one "
                      f"conforming and matching the trace; {trace.property} is false at the end")
    if prop.kind == TRANSITION and len(h.log) >= 2:
        if h.checker.conc.holds(k, h.log[-2][2], h.state):
            return False, f"{trace.property} holds on the implementation's last step"
        return True, f"happens on the implementation: {n} steps; {trace.property} fails"
    if prop.kind == SOMETIMES:
        if not h.checker.conc.holds(k, h.state):
            return False, f"{trace.property} is not reached on the implementation"
        return True, f"the witness {trace.property} is reached on the implementation: {n} steps"
    if prop.kind == LEADS_TO and trace.loop_start is not None:
        start = lay.from_json(trace.steps[trace.loop_start].state)
        if start != h.state:
            return False, "the lasso does not close on the implementation"
        return True, (f"the lasso of {trace.property} runs on the implementation: {n} steps, "
                      f"looping back to step {trace.loop_start}")
    return False, f"{trace.property} ({prop.kind}): a lasso ending in a deadlock is not " \
                  "replayed on the implementation"
