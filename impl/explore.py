"""Driving the implementation: what may happen next, random runs, exhaustive small scopes.

A *choice* is one thing that can happen next in a :class:`~ppcheck.impl.conformance.
Conformance` harness: a context takes its pending step, a context starts a call (the
driver or the stack asks for it), or an event happens (an interrupt schedules the NAPI,
a stack user takes or drops a page reference, an skb is cloned).  :func:`choices` lists
them; the API contract is respected by offering a call or event only when the spec's
guard of its first step holds in the current abstract state (Hypothesis'
"preconditions come from the spec").  The misuse machine bypasses exactly that filter.

:func:`explore` enumerates every sequence of choices up to a depth, with per-context
and per-kind budgets, by stateless depth-first search: a node is reached by re-running
its choice prefix on a fresh world (only the last step is checked; the prefix was
checked when its own node was expanded), and a visited set over the complete
implementation state (shared memory and every suspended call's frame) prunes
schedules that meet again.  With two or three contexts and a bound of 20-40 steps this
covers every interleaving of the calls started.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from ppcheck.models.pagepool import Loc, Role
from ppcheck.spec.model import System

from .conformance import Conformance, NonConformance, SpecChecker, checker_for
from .switches import MAINLINE, Switches

Choice = tuple  # ("step", c) | ("start", c, opname) | ("event", name, args)

ALLOC = ("page_pool_alloc_fast", "page_pool_refill_alloc_cache", "page_pool_alloc_slow",
         "page_pool_alloc_fail")

#: events: world method, spec action, how the arguments are named in the spec
EVENTS = ("napi_schedule", "get_page", "stack_put_page", "skb_clone", "pskb_expand_head",
          "skb_try_coalesce", "napi_enable_new_pool", "napi_swap_pool")


@dataclass
class Budget:
    """How much may happen: calls started per context, events of each kind."""

    calls: int = 3  # calls started per NAPI/user context
    events: dict[str, int] = field(default_factory=lambda: {
        "napi_schedule": 2, "get_page": 1, "stack_put_page": 1, "skb_clone": 1,
        "pskb_expand_head": 1, "skb_try_coalesce": 1, "napi_enable_new_pool": 1,
        "napi_swap_pool": 1})
    alloc_fail: bool = True  # allocation failure injection
    #: the NAPI is only scheduled on CPUs that have a NAPI context (no stranded NAPI)
    napi_cpus_only: bool = False
    only: tuple[str, ...] | None = None  # restrict calls to these op names (prefixes)


def _entry(h: Conformance, op: Any) -> list[tuple[str, dict[str, Any]]]:
    """The spec action(s) the first step of call ``op`` may be."""
    c = op.ctx
    if op.action == "page_pool_alloc_pages":
        return [(a, {"c": c, "dest": Loc.RX}) if a != "page_pool_alloc_fail" else (a, {"c": c})
                for a in ALLOC]
    if op.action == "page_pool_alloc_frag":
        pool = h.world.pool
        if pool.frag_page is None:
            return [(a, {"c": c, "dest": Loc.FRAG}) for a in ALLOC if a != "page_pool_alloc_fail"]
        if pool.frag_offset + 1 > pool.max_size:
            return [("page_pool_drain_frag", {"c": c, "p": pool.frag_page.pfn})]
        return [("page_pool_alloc_frag", {"c": c})]
    args = {"c": c}
    args.update(op.args)
    return [(op.action, args)]


def _event_args(h: Conformance, budget: Budget) -> list[tuple[str, tuple, dict[str, Any]]]:
    """(world method, its arguments, the spec binding's arguments) of possible events."""
    w = h.world
    P = w.params
    out: list[tuple[str, tuple, dict[str, Any]]] = []
    napi_cpus = {sp.cpu for sp in w.specs if sp.role == Role.NAPI}
    cpuid = int(P["pool_cpuid"])  # a per-CPU pool's consumer polls on its CPU only
    for cpu in range(int(P["cpus"])):
        if cpuid >= 0 and cpu != cpuid:
            continue
        if not budget.napi_cpus_only or cpu in napi_cpus:
            out.append(("napi_schedule", (cpu,), {"cpu": cpu}))
    for p in range(int(P["pages"])):
        if int(P["max_page_refs"]):
            out.append(("get_page", (p,), {"p": p}))
        out.append(("stack_put_page", (p,), {"p": p}))
    live = [k for k, s in sorted(w.skbs.items()) if not s.freed]
    free = [k for k in range(len(w.shinfos)) if k not in live]
    for k in live:
        j = w.skbs[k].shinfo.id
        for m in free:
            out.append(("skb_clone", (k, m), {"k": k, "m": m, "j": j}))
        for n in range(len(w.shinfos)):
            if n != j:
                out.append(("pskb_expand_head", (k, n), {"k": k, "j": j, "n": n}))
        for m in live:
            if m != k:
                out.append(("skb_try_coalesce", (k, m),
                            {"k": k, "m": m, "j": j, "n": w.skbs[m].shinfo.id}))
    swap = any(d.name == "napi_swap_pool" for d in h.system.model.action_defs())
    for c, sp in enumerate(w.specs):
        if sp.role == Role.CONTROL:
            out.append(("napi_enable_new_pool", (c,), {"c": c}))
            if swap:
                out.append(("napi_swap_pool", (c,), {"c": c}))
    return out


def choices(h: Conformance, budget: Budget, used: dict[Any, int] | None = None,
            contract: bool = True) -> list[Choice]:
    """What may happen next.  ``contract``: only what the spec's entry guards allow."""
    used = used or {}
    w = h.world
    out: list[Choice] = []
    for c in range(len(w.specs)):
        if w.busy(c):
            if w.enabled(c):
                out.append(("step", c))
            continue
        if used.get(("calls", c), 0) >= budget.calls:
            continue
        for op in w.ops(c):
            if budget.only is not None and not op.name.startswith(budget.only):
                continue
            if op.action.startswith("page_pool_alloc") and w.pool.user_cnt == 0:
                continue  # the driver does not use a pool it destroyed
            if contract and not any(h.spec_enabled(a, **args) for a, args in _entry(h, op)):
                continue
            out.append(("start", c, op.name))
    for name, args, sargs in _event_args(h, budget):
        if used.get(name, 0) >= budget.events.get(name, 0):
            continue
        if contract and not h.spec_enabled(name, **sargs):
            continue
        out.append(("event", name, args))
    if budget.alloc_fail and not w.k.fail_alloc and not used.get("fail"):
        out.append(("inject_alloc_failure",))
    return out


def apply(h: Conformance, ch: Choice, used: dict[Any, int] | None = None) -> Any:
    """Make choice ``ch`` happen (checked by the harness)."""
    w = h.world
    if used is not None:
        key = {"start": lambda: ("calls", ch[1]), "event": lambda: ch[1],
               "inject_alloc_failure": lambda: "fail"}.get(ch[0])
        if key is not None:
            used[key()] = used.get(key(), 0) + 1
    if ch[0] == "step":
        return h.step(ch[1])
    if ch[0] == "start":
        op = next(o for o in w.ops(ch[1]) if o.name == ch[2])
        return h.start(op)
    if ch[0] == "event":
        return h.event(getattr(w, ch[1]), *ch[2])
    if ch[0] == "inject_alloc_failure":
        w.k.fail_alloc = True  # ALLOW_ERROR_INJECTION: the next alloc_pages() fails
        return None
    raise ValueError(ch)


# ---------------------------------------------------------------------------------------
# random runs
# ---------------------------------------------------------------------------------------

@dataclass
class RunStats:
    runs: int = 0
    steps: int = 0
    coverage: dict[str, int] = field(default_factory=dict)


def random_run(system: System, seed: int, length: int, budget: Budget | None = None,
               sw: Switches = MAINLINE, checker: SpecChecker | None = None,
               step_bias: float = 0.6, lenient: bool = False) -> Conformance:
    """One random schedule of ``length`` choices; raises NonConformance on a bad step
    (``lenient``: only on a broken invariant or a state the spec cannot express)."""
    rng = random.Random(seed)
    budget = budget or Budget(calls=10**6, events={e: 10**6 for e in EVENTS}, napi_cpus_only=True)
    h = Conformance(system, sw, checker=checker, lenient=lenient)
    used: dict[Any, int] = {}
    # the driver's remove path starts at a random point, so pages are in flight by then
    remove_at = rng.randint(length // 4, length)
    control = [c for c, sp in enumerate(h.world.specs) if sp.role == Role.CONTROL]
    for i in range(length):
        opts = choices(h, budget, used)
        if i < remove_at:
            opts = [c for c in opts if not (c[0] == "step" and c[1] in control
                                            and h.world.pending(c[1]).action == "napi_disable")]
        if not opts:
            break
        steps = [c for c in opts if c[0] == "step"]
        ch = rng.choice(steps) if steps and rng.random() < step_bias else rng.choice(opts)
        apply(h, ch, used)
    return h


# ---------------------------------------------------------------------------------------
# exhaustive small scopes
# ---------------------------------------------------------------------------------------

@dataclass
class ExploreStats:
    states: int = 0  # distinct implementation states expanded
    transitions: int = 0  # choices checked
    max_depth: int = 0
    truncated: int = 0  # nodes cut by the depth bound
    complete: bool = True  # False if the state budget cut the search
    seconds: float = 0.0
    failure: tuple[list[Choice], str] | None = None


def setup_choices(system: System, calls: list[tuple[int, str]], sw: Switches = MAINLINE,
                  checker: SpecChecker | None = None) -> list[Choice]:
    """The choices that run ``calls`` (context, op name) one after the other, each to
    completion: a scenario's sequential set-up."""
    h = Conformance(system, sw, checker=checker)
    out: list[Choice] = []
    for c, name in calls:
        if name.startswith("event:"):
            ev, _, arg = name[6:].partition(":")
            ch: Choice = ("event", ev, tuple(int(x) for x in arg.split(",") if x))
        else:
            ch = ("start", c, name)
        apply(h, ch)
        out.append(ch)
        while h.world.busy(c) and ch[0] == "start":
            step = ("step", c)
            apply(h, step)
            out.append(step)
    return out


@dataclass(frozen=True)
class Scope:
    """An exhaustive small scope: a configuration, a sequential set-up, then every
    interleaving of what ``budget`` allows up to ``depth`` more choices."""

    name: str
    config: str
    setup: tuple[tuple[int, str], ...]
    budget: Budget
    depth: int
    model: str = "mainline"
    doc: str = ""
    overrides: tuple[tuple[str, Any], ...] = ()  # configuration parameters changed


def _only(calls: int, *names: str, **events: int) -> Budget:
    return Budget(calls=calls, events=dict(events), alloc_fail=False, only=names)


#: the scopes CI explores exhaustively (numbers in docs/impl.md)
SCOPES: dict[str, Scope] = {s.name: s for s in (
    Scope("remote_free_vs_destroy", "base",
          ((0, "napi_poll_begin"), (0, "alloc"), (0, "alloc"), (0, "rx_pass(0)"), (0, "rx_pass(1)"),
           (0, "napi_poll_end(True)")),
          _only(1, "put("), depth=46,
          doc="two CPUs each put a page (one NAPI-local, one remote) while the driver is "
              "removed: unref, napi_local, cache/ring, producer lock against "
              "page_pool_release()'s lock barrier, the release worker"),
    Scope("frag_users_race", "frag",
          ((0, "napi_poll_begin"), (0, "alloc_frag"), (0, "alloc_frag")),
          _only(3, "put(", "alloc_frag"), depth=40, overrides=(("destroy", False),),
          doc="the NAPI drains the full frag page while the other frag user and the NAPI "
              "itself drop their frags: read/sub of pp_ref_count interleaved three ways "
              "(no destroy)"),
    Scope("skb_clones_on_two_cpus", "skb",
          ((0, "napi_poll_begin"), (0, "alloc"), (0, "build_skb(0,0,0)"), (0, "event:skb_clone:0,1")),
          _only(2, "kfree_skb(", "napi_poll_end(True)"), depth=40,
          doc="an skb and its clone freed concurrently on two CPUs while the driver is "
              "removed: the last dataref holder releases the frag (the clone rule)"),
    Scope("process_context_free", "process",
          ((0, "napi_poll_begin"), (0, "alloc"), (0, "alloc"), (0, "rx_pass(0)"), (0, "rx_pass(1)")),
          _only(2, "put(", "napi_poll_end"), depth=40, overrides=(("destroy", False),),
          doc="process contexts (BH enabled and disabled) free pages next to the running "
              "NAPI poll of their CPU: in_softirq(), spin_lock_bh exclusion (no destroy)"),
)}


def explore_scope(scope: Scope, sw: Switches = MAINLINE, max_states: int | None = None,
                  system: System | None = None) -> ExploreStats:
    """Run one of :data:`SCOPES` (on ``system`` or mainline's configuration)."""
    if system is None:
        from ppcheck.models import get_model
        from ppcheck.spec.model import build

        m = get_model(scope.model)
        system = build(m, m.config(scope.config, **dict(scope.overrides)))
    checker = checker_for(system)
    prefix = setup_choices(system, list(scope.setup), sw if sw.mutation is None else MAINLINE,
                           checker)
    return explore(system, len(prefix) + scope.depth, scope.budget, sw, max_states, checker,
                   prefix=prefix)


def explore(system: System, depth: int, budget: Budget, sw: Switches = MAINLINE,
            max_states: int | None = None, checker: SpecChecker | None = None,
            prefix: list[Choice] | None = None) -> ExploreStats:
    """Every choice sequence up to ``depth`` after ``prefix``; stop at the first
    non-conformance (the prefix is checked too)."""
    t0 = time.perf_counter()
    checker = checker or checker_for(system)
    st = ExploreStats()
    seen: set[Any] = set()

    def rebuild(prefix: list[Choice]) -> tuple[Conformance, dict[Any, int]]:
        h = Conformance(system, sw, invariants=False, checker=checker, check_init=False)
        used: dict[Any, int] = {}
        for ch in prefix:
            _apply_unchecked(h, ch, used)
        h.state = h.abstract()
        h.invariants = True
        h.offset = len(prefix)
        for k in list(used):  # the set-up does not use up the scope's budget
            if k in setup_used:
                used[k] -= setup_used[k]
        return h, used

    setup_used: dict[Any, int] = {}
    for ch in prefix or []:
        key = {"start": lambda: ("calls", ch[1]), "event": lambda: ch[1],
               "inject_alloc_failure": lambda: "fail"}.get(ch[0])
        if key is not None:
            setup_used[key()] = setup_used.get(key(), 0) + 1

    start = list(prefix or [])
    if start:  # the set-up, checked step by step (a mutation may already fail here)
        h = Conformance(system, sw, checker=checker)
        used0: dict[Any, int] = {}
        try:
            for ch in start:
                apply(h, ch, used0)
        except NonConformance as e:
            st.failure = (start, str(e))
            st.seconds = time.perf_counter() - t0
            return st
    stack: list[list[Choice]] = [start]
    while stack:
        prefix = stack.pop()
        if len(prefix) > len(start):
            h, used = rebuild(prefix[:-1])
            try:
                apply(h, prefix[-1], used)
            except NonConformance as e:
                st.failure = (prefix, f"after the schedule {describe_schedule(prefix)}: {e}")
                break
            st.transitions += 1
        else:
            h, used = rebuild(prefix)
        key = (h.world.snapshot(), tuple(sorted(used.items(), key=repr)))
        if key in seen:
            continue
        seen.add(key)
        st.states += 1
        st.max_depth = max(st.max_depth, len(prefix))
        if max_states is not None and st.states >= max_states:
            st.complete = False
            break
        if len(prefix) >= depth:
            st.truncated += 1
            continue
        for ch in reversed(choices(h, budget, used)):
            stack.append(prefix + [ch])
    st.seconds = time.perf_counter() - t0
    return st


def describe_schedule(prefix: list[Choice]) -> str:
    """A schedule in words: ``c0:start alloc, c1:step, irq:napi_schedule(1), ...``."""
    out = []
    for ch in prefix:
        if ch[0] == "step":
            out.append(f"c{ch[1]}:step")
        elif ch[0] == "start":
            out.append(f"c{ch[1]}:{ch[2]}")
        elif ch[0] == "event":
            out.append(f"{ch[1]}{tuple(ch[2])}")
        else:
            out.append("inject-alloc-failure")
    return "[" + ", ".join(out) + "]"


def _apply_unchecked(h: Conformance, ch: Choice, used: dict[Any, int]) -> None:
    """Re-run an already checked choice without checking it again (prefix replay)."""
    w = h.world
    key = {"start": lambda: ("calls", ch[1]), "event": lambda: ch[1],
           "inject_alloc_failure": lambda: "fail"}.get(ch[0])
    if key is not None:
        used[key()] = used.get(key(), 0) + 1
    if ch[0] == "step":
        w.step(ch[1])
    elif ch[0] == "start":
        op = next(o for o in w.ops(ch[1]) if o.name == ch[2])
        w.start(op)
        w.step(op.ctx)
    elif ch[0] == "event":
        getattr(w, ch[1])(*ch[2])
    else:
        w.k.fail_alloc = True
