"""Exploring the schedules of a scenario on the compiled kernel.

* :func:`run_schedule` executes one schedule (a list of context indices; when it runs out,
  a chooser picks) and checks every step: the log (WARNs, harness errors), the invariants
  over the C structures, the spec's invariants on the abstracted state at quiescent
  points, deadlock, and at the end the final properties. It stops at the first violation
  and returns the schedule that led there.
* :func:`random_search` runs seeded random schedules.
* :func:`exhaustive` is a stateless depth-first search over every schedule, restoring a
  state by resetting the world and replaying the prefix (the C stacks cannot be copied);
  the visited key is the concrete state read off the C structures plus where each
  suspended context is (its yield address and live stack), so every state is expanded
  once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .checks import WITNESSES, final_violations, log_violations, state_violations
from .driver import Kernel
from .world import Run, Scenario, StepInfo

#: a hook checking the spec on quiescent states: (run) -> list of (property, detail)
SpecHook = Callable[[Run], list[tuple[str, str]]]


@dataclass
class Violation:
    prop: str
    detail: str
    schedule: list[int]
    steps: list[StepInfo]


@dataclass
class SearchResult:
    scenario: str
    mode: str  # random | exhaustive | replay
    runs: int = 0
    states: int = 0
    steps: int = 0
    max_depth: int = 0
    complete: bool = True
    reason: str = ""
    seconds: float = 0.0
    violations: dict[str, Violation] = field(default_factory=dict)
    reached: set[str] = field(default_factory=set)

    def add(self, v: Violation) -> None:
        old = self.violations.get(v.prop)
        if old is None or len(v.schedule) < len(old.schedule):
            self.violations[v.prop] = v


def _check_step(run: Run, info: StepInfo | None, seen_log: int, spec: SpecHook | None,
                res: SearchResult) -> tuple[list[tuple[str, str]], int]:
    s = run.last
    assert s is not None
    log = run.k.log()
    bad = log_violations(log[seen_log:])
    bad += state_violations(run, s, info)
    if spec is not None and not any(run.k.busy(c) for c in range(len(run.sc.contexts))):
        bad += spec(run)
    for w, test in WITNESSES.items():
        if w not in res.reached and test(run, s, info):
            res.reached.add(w)
    return bad, len(log)


def run_schedule(k: Kernel, sc: Scenario, schedule: list[int], chooser: Callable[[list[int]], int] | None,
                 res: SearchResult, spec: SpecHook | None = None, max_steps: int = 2000,
                 collect: dict[str, str] | None = None) -> Violation | None:
    """Execute ``schedule`` (then ``chooser``) to the end; the first violation, or None.
    With ``collect``, go on past violations and gather every property that failed."""
    run = Run(k, sc)
    run.reset()
    taken: list[int] = []
    seen = 0
    bad, seen = _check_step(run, None, seen, spec, res)
    first: list[tuple[str, str]] = []

    def keep_going() -> bool:
        nonlocal bad
        if collect is None or not bad or any(p in ("no_deadlock", "replay") for p, _ in bad):
            return not bad
        for p, d in bad:
            collect.setdefault(p, d)
        if not first:
            first.extend(bad)
        bad = []
        return True

    i = 0
    while keep_going():
        en = run.enabled()
        if not en:
            if not run.done():
                bad = [("no_deadlock", "no context can run: " + ", ".join(
                    f"{sc.contexts[c].name} at {k.at(c)}" for c in range(len(sc.contexts)) if k.busy(c)))]
            break
        if i < len(schedule):
            c = schedule[i]
            if c not in en:
                return Violation("replay", f"step {i + 1}: context {c} cannot run now (enabled: {en})",
                                 taken, run.steps)
        elif chooser is not None:
            c = chooser(en)
        else:
            break
        i += 1
        taken.append(c)
        info = run.step(c)
        bad, seen = _check_step(run, info, seen, spec, res)
        if len(taken) > max_steps:
            res.complete, res.reason = False, f"a schedule longer than {max_steps} steps"
            break
    if not bad and run.done():
        run.drain_worker()
        bad, seen = _check_step(run, None, seen, spec, res)
        if not bad and run.last is not None:
            bad = final_violations(run, run.last)
    if collect is not None:
        keep_going()
        bad = first
    res.runs += 1
    res.steps += run.nsteps
    res.max_depth = max(res.max_depth, len(taken))
    if bad:
        v = Violation(bad[0][0], bad[0][1], taken, run.steps)
        res.add(v)
        return v
    return None


def random_search(k: Kernel, sc: Scenario, runs: int, seed: int = 0, spec: SpecHook | None = None,
                  timeout: float | None = None) -> SearchResult:
    res = SearchResult(sc.name, "random")
    rng = random.Random(seed)
    t0 = time.perf_counter()
    for _ in range(runs):
        run_schedule(k, sc, [], rng.choice, res, spec)
        if timeout is not None and time.perf_counter() - t0 > timeout:
            res.complete, res.reason = False, f"timeout {timeout}s"
            break
    res.seconds = time.perf_counter() - t0
    return res


def exhaustive(k: Kernel, sc: Scenario, max_states: int = 20000, spec: SpecHook | None = None,
               timeout: float | None = None) -> SearchResult:
    """Every schedule of ``sc`` (up to ``max_states`` distinct states)."""
    res = SearchResult(sc.name, "exhaustive")
    t0 = time.perf_counter()
    visited: set = set()
    run = Run(k, sc)

    current: list[int] | None = None

    def restore(prefix: list[int]) -> int:
        nonlocal current
        if current is not None and len(prefix) == len(current) + 1 and prefix[:-1] == current:
            run.step(prefix[-1])  # a child of the state just expanded: one step on
        else:
            run.reset()
            for c in prefix:
                run.step(c)
        current = prefix
        return len(run.k.log())

    # iterative DFS over schedule prefixes
    stack: list[list[int]] = [[]]
    while stack:
        prefix = stack.pop()
        seen = restore(prefix)
        info = run.steps[-1] if run.steps else None
        log = run.k.log()
        bad = log_violations(log) if prefix else []
        bad += state_violations(run, run.last, info) if run.last else []
        if spec is not None and not any(k.busy(c) for c in range(len(sc.contexts))):
            bad += spec(run)
        for w, test in WITNESSES.items():
            if w not in res.reached and run.last is not None and test(run, run.last, info):
                res.reached.add(w)
        res.max_depth = max(res.max_depth, len(prefix))
        if bad:
            res.add(Violation(bad[0][0], bad[0][1], prefix, list(run.steps)))
            continue
        key = run.key()
        if key in visited:
            continue
        visited.add(key)
        res.states += 1
        en = run.enabled()
        if not en:
            res.runs += 1
            if not run.done():
                res.add(Violation("no_deadlock", "no context can run", prefix, list(run.steps)))
                continue
            run.drain_worker()
            current = None  # the drain moved the world on
            fin = log_violations(run.k.log()[seen:])
            if run.last is not None:
                fin += state_violations(run, run.last, None) + final_violations(run, run.last)
                for w, test in WITNESSES.items():
                    if w not in res.reached and test(run, run.last, None):
                        res.reached.add(w)
            if fin:
                res.add(Violation(fin[0][0], fin[0][1], prefix, list(run.steps)))
            continue
        for c in reversed(en):
            stack.append([*prefix, c])
        if res.states >= max_states:
            res.complete, res.reason = False, f"state budget {max_states}"
            break
        if timeout is not None and time.perf_counter() - t0 > timeout:
            res.complete, res.reason = False, f"timeout {timeout}s"
            break
    res.steps = run.nsteps
    res.seconds = time.perf_counter() - t0
    return res
