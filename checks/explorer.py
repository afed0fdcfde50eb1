"""The explicit-state explorer: breadth-first search over packed states.

BFS from the initial states with a visited set and parent links, so the first
violation found of each property is a shortest one.  Symmetry reduction stores one
canonical representative per orbit (records of a symmetric array sorted, Refs into it
remapped).  A state budget, a time budget and Ctrl-C end the search with an honest
*incomplete* verdict.  Counterexamples are rebuilt concretely (without symmetry) by
re-executing the model, and written to disk as soon as they are found.
"""

from __future__ import annotations

import resource
import sys
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ppcheck.spec.model import ALWAYS, LEADS_TO, SOMETIMES, TRANSITION, Binding, System

from .compile import Compiled, compile_system
from .symmetry import asymmetry, random_states, same_orbit
from .traces import Step, Trace, default_name, write_trace
from .verdict import (
    ACTION_ASSERTIONS,
    HOLDS,
    REACHED,
    UNKNOWN,
    VACUOUS,
    VIOLATED,
    PropertyResult,
    RunResult,
    apply_out_of_scope,
)

ENGINE = "explorer"


def peak_rss() -> int:
    """Peak resident set size of this process, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Concrete:
    """Concrete execution of a system's bindings (no symmetry): replay and traces."""

    def __init__(self, system: System, compiled: Compiled | None = None):
        self.system = system
        self.c = compiled or compile_system(system, symmetry=False)
        self.steps: list[Callable[[int], tuple[int | None, Any]]] = [
            self.c.namespace[f"step_{b.id}"] for b in system.bindings]
        self._succ_all = self.c.namespace["succ_all"]

    def step(self, s: int, b: Binding | int) -> tuple[int | None, Any]:
        bid = b if isinstance(b, int) else b.id
        return self.steps[bid](s)

    def succ_raw(self, s: int) -> list[tuple[int, int | None, Any]]:
        """(binding id, successor or None, error or None) for every enabled binding of ``s``."""
        return self._succ_all(s)

    def successors(self, s: int) -> list[tuple[Binding, int | None, Any]]:
        """Every enabled binding with its successor (None if it fails) and error, in one pass."""
        bs = self.system.bindings
        return [(bs[i], t, err) for i, t, err in self._succ_all(s)]

    def holds(self, prop_index: int, s: int, t: int | None = None) -> bool:
        f = self.c.namespace[f"prop_{prop_index}"]
        return bool(f(s) if t is None else f(s, t))

    def step_record(self, b: Binding | None, s: int | None, error: str | None = None) -> Step:
        lay = self.system.layout
        if b is None:
            return Step(None, {}, "", lay.to_json(s) if s is not None else None)
        args = {k: (v.name if hasattr(v, "name") else v) for k, v in b.args.items()}
        return Step(b.action, args, b.who, lay.to_json(s) if s is not None else None, error)


class _Nothing:
    """A visited set that contains nothing: every successor is reported."""

    def __contains__(self, x: object) -> bool:
        return False


@dataclass
class Violation:
    kind: str  # always | transition | assert | domain
    prop: int  # property index (-1 for assert/domain)
    idx: int  # state index
    bid: int  # binding (-1 for always)
    msg: str


class Explorer:
    """Breadth-first explorer.  ``run()`` returns a :class:`RunResult`."""

    def __init__(
        self,
        system: System,
        *,
        symmetry: bool = True,
        max_states: int | None = None,
        timeout: float | None = None,
        progress: Callable[[dict[str, Any]], None] | None = None,
        progress_every: float = 2.0,
        out_dir: str | Path | None = None,
        stop_at_first: bool = False,
        properties: list[str] | None = None,
        chunk: int = 4096,
        max_depth: int | None = None,
    ):
        self.system = system
        self.symmetry = symmetry and bool(system.symmetric_arrays)
        self.max_states = max_states
        self.timeout = timeout
        self.progress = progress
        self.progress_every = progress_every
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.stop_at_first = stop_at_first
        self.only = set(properties) if properties is not None else None
        self.chunk = chunk
        self.max_depth = max_depth
        if properties is not None:
            for name in properties:
                if name != ACTION_ASSERTIONS:
                    system.property(name)  # raises SpecError naming an unknown property
        self.traces: dict[str, Trace] = {}
        self.trace_files: dict[str, str] = {}
        self.states: list[int] = []
        self.parents = array("i")
        self.acts = array("i")

    # -- the search ------------------------------------------------------------------------
    def _symmetry_probe(self) -> Any:
        """What the soundness probe runs successors and canon with (the native backend: C)."""
        return compile_system(self.system, True, self.only)

    def run(self) -> RunResult:
        """Explore; if symmetry turns out unsound for this model, explore again without it."""
        t0 = time.perf_counter()
        note = ""
        if self.symmetry and self._fairness_names_symmetric_records():
            note = "weak fairness per context names records of a symmetric array"
            self.symmetry = False
        if self.symmetry:
            note = asymmetry(self.system, self._symmetry_probe(), self.system.init_states
                             + random_states(self.system, 40)) or ""
            if note:
                self.symmetry = False
        run = self._run()
        if self.symmetry and not note:
            step = max(1, len(self.states) // 300)
            note = asymmetry(self.system, self.compiled, self.states[::step]) or ""
            if note:
                self.symmetry = False
                self.traces, self.trace_files = {}, {}
                run = self._run()
        if note:
            run.symmetry_note = f"symmetry reduction disabled: {note}"
        run.seconds = time.perf_counter() - t0
        return run

    def _fairness_names_symmetric_records(self) -> bool:
        """Per-context fairness labels (``threads[0]``) are not invariant under symmetry."""
        if not any(p.kind == LEADS_TO and (p.fairness or "").endswith("who")
                   for p in self.system.properties):
            return False
        return any(b.who.split("[")[0] in self.system.symmetric_arrays for b in self.system.bindings)

    def _run(self) -> RunResult:
        sysm = self.system
        t0 = time.perf_counter()
        comp = compile_system(sysm, self.symmetry, self.only)
        self.compiled = comp
        self.concrete = Concrete(sysm, comp)
        canon = comp.namespace["canon"] if self.symmetry else (lambda t: t)
        states: list[int] = []
        seen: set[int] = set()
        parents, acts = array("i"), array("i")
        for s in sysm.init_states:
            c = canon(s)
            if c not in seen:
                seen.add(c)
                states.append(c)
                parents.append(-1)
                acts.append(-1)
        self.states, self.parents, self.acts = states, parents, acts
        nprops = len(sysm.properties)
        found = [-1] * nprops
        cov = [0] * len(sysm.bindings)
        violations: list[Violation] = []
        violated_keys: set[Any] = set()

        def violation(kind: str, prop: int, idx: int, bid: int, msg: str) -> None:
            key = prop if kind in ("always", "transition") else "assert"
            if key in violated_keys:
                return
            violated_keys.add(key)
            violations.append(Violation(kind, prop, idx, bid, msg))

        comp.namespace.update(
            states=states, seen=seen, seen_add=seen.add, states_append=states.append,
            parents_append=parents.append, acts_append=acts.append, found=found, cov=cov,
            violation=violation, canon=canon)
        expand = comp.namespace["expand"]

        head, depth, level_end = 0, 0, len(states)
        dead = 0
        complete, reason = True, ""
        last_report = t0
        written = 0
        try:
            while head < len(states):
                if head >= level_end:
                    if self.max_depth is not None and depth >= self.max_depth:
                        complete, reason = False, f"depth bound of {self.max_depth} reached"
                        break
                    depth += 1
                    level_end = len(states)
                hi = min(level_end, head + self.chunk)
                dead += expand(head, hi)
                head = hi
                while written < len(violations):  # write each counterexample at once
                    self._record(violations[written])
                    written += 1
                now = time.perf_counter()
                if self.stop_at_first and violations:
                    complete, reason = False, "stopped at the first violation"
                    break
                if self.max_states is not None and len(states) >= self.max_states \
                        and head < len(states):
                    complete, reason = False, f"state budget of {self.max_states} reached"
                    break
                if self.timeout is not None and now - t0 >= self.timeout and head < len(states):
                    complete, reason = False, f"time budget of {self.timeout:g}s reached"
                    break
                if self.progress and now - last_report >= self.progress_every:
                    last_report = now
                    el = now - t0
                    self.progress({"states": len(states), "depth": depth,
                                   "frontier": len(states) - head,
                                   "states_per_s": len(states) / el if el else 0.0,
                                   "seconds": el})
        except KeyboardInterrupt:
            complete, reason = False, "interrupted (Ctrl-C)"
            while written < len(violations):
                self._record(violations[written])
                written += 1
        elapsed = time.perf_counter() - t0
        self.head = head

        return self._result(violations, found, cov, dead, complete, reason, depth, elapsed)

    def _result(self, violations: list[Violation], found: list[int], cov: list[int], dead: int,
                complete: bool, reason: str, depth: int, elapsed: float) -> RunResult:
        """The RunResult of a finished search (every explorer backend builds it here): each
        property's verdict, coverage with the actions dropped at build time, the
        configuration's out-of-scope declarations applied."""
        sysm = self.system
        results: list[PropertyResult] = []
        viol_by_prop = {v.prop: v for v in violations if v.kind in ("always", "transition")}
        for i, p in enumerate(sysm.properties):
            if self.only is not None and p.name not in self.only:
                continue
            if p.kind in (ALWAYS, TRANSITION):
                if i in viol_by_prop:
                    results.append(self._violated(p.name, p.kind))
                else:
                    results.append(PropertyResult(p.name, p.kind, HOLDS if complete else UNKNOWN,
                                                  "" if complete else reason, engine=ENGINE))
            elif p.kind == SOMETIMES:
                if found[i] >= 0:
                    self._record_witness(i, found[i])
                    results.append(PropertyResult(
                        p.name, p.kind, REACHED, f"first reached at depth {self._depth(found[i])}",
                        self.trace_files.get(p.name), self._depth(found[i]), engine=ENGINE))
                elif complete:
                    results.append(PropertyResult(p.name, p.kind, VACUOUS,
                                                  "never reached in the complete state space",
                                                  engine=ENGINE))
                else:
                    results.append(PropertyResult(p.name, p.kind, UNKNOWN,
                                                  f"not reached before: {reason}", engine=ENGINE))
            elif p.kind == LEADS_TO:
                results.append(self._check_leads_to(i, complete, reason))
        av = [v for v in violations if v.kind in ("assert", "domain")]
        if av:
            results.insert(0, self._violated(ACTION_ASSERTIONS, ALWAYS))
        else:
            results.insert(0, PropertyResult(
                ACTION_ASSERTIONS, ALWAYS, HOLDS if complete else UNKNOWN,
                "" if complete else reason, engine=ENGINE))

        # an action dropped at build time (constant-false guard) never fires: it counts 0
        coverage: dict[str, int] = dict.fromkeys((d.name for d in sysm.model.action_defs()), 0)
        for b in sysm.bindings:
            coverage[b.action] = coverage.get(b.action, 0) + cov[b.id]
        return apply_out_of_scope(RunResult(
            model=sysm.name, config=sysm.config.name, engine=ENGINE, complete=complete,
            reason=reason, states=len(self.states), transitions=sum(cov), depth=depth,
            seconds=elapsed, peak_memory=peak_rss(), symmetry=self.symmetry,
            bound=", ".join(b for b in (
                "" if self.max_states is None else f"max_states={self.max_states}",
                "" if self.timeout is None else f"timeout={self.timeout:g}s",
                "" if self.max_depth is None else f"max_depth={self.max_depth}") if b) or "none",
            deadlocks=dead, fingerprint=sysm.fingerprint, results=results, coverage=coverage,
            params=dict(sysm.config.params)), sysm.out_of_scope)

    # -- counterexamples ------------------------------------------------------------------
    def _depth(self, idx: int) -> int:
        d = 0
        while self.parents[idx] >= 0:
            idx = self.parents[idx]
            d += 1
        return d

    def _violated(self, name: str, kind: str) -> PropertyResult:
        tr = self.traces[name]
        return PropertyResult(name, kind, VIOLATED, tr.message, self.trace_files.get(name),
                              tr.length, engine=ENGINE)

    def concrete_path(self, idx: int) -> list[tuple[Binding | None, int]]:
        """Re-execute the stored (canonical) path to ``idx`` on concrete states."""
        chain = []
        while idx >= 0:
            chain.append(idx)
            idx = self.parents[idx]
        chain.reverse()
        first = self.states[chain[0]]
        cur = next(s for s in self.system.init_states if self.canonical(s) == first)
        path: list[tuple[Binding | None, int]] = [(None, cur)]
        for j in chain[1:]:
            target = self.states[j]
            b0 = self.system.bindings[self.acts[j]]
            t, _ = self.concrete.step(cur, b0)
            if t is None or not self.matches(t, target):
                for b in self.system.bindings:
                    t, _ = self.concrete.step(cur, b)
                    if t is not None and self.matches(t, target):
                        b0 = b
                        break
                else:  # pragma: no cover - an engine bug
                    raise RuntimeError("internal error: could not re-execute a stored path")
            path.append((b0, t))
            cur = t
        return path

    # -- the graph API: what diff, quantity, liveness and symmetry read --------------------
    def canonical(self, t: int) -> int:
        """The stored representative of a concrete state (itself without symmetry)."""
        return self.compiled.namespace["canon"](t) if self.symmetry else t

    def edges(self) -> list[tuple[int, int]]:
        """Every transition (source index, canonical successor) of a finished exploration.

        Re-runs the compiled BFS loop over the stored states with its hooks pointed at
        lists, so successors are computed exactly as the search computed them."""
        ns = self.compiled.namespace
        names = ("seen", "seen_add", "states_append", "parents_append", "acts_append",
                 "violation", "found", "cov")
        saved = {k: ns.get(k) for k in names}
        src: list[int] = []
        dst: list[int] = []
        try:
            ns.update(seen=_Nothing(), seen_add=dst.append, states_append=lambda t: None,
                      parents_append=src.append, acts_append=lambda b: None,
                      violation=lambda *a: None, found=[0] * len(self.system.properties),
                      cov=[0] * len(self.system.bindings))
            ns["expand"](0, len(self.states))
        finally:
            ns.update(saved)
        return list(zip(src, dst))

    def matches(self, concrete: int, stored: int) -> bool:
        """Is the concrete state the one stored (up to symmetry)?"""
        if not self.symmetry:
            return concrete == stored
        canon = self.compiled.namespace["canon"]
        return canon(concrete) == stored or same_orbit(self.system, concrete, stored)

    def _record(self, v: Violation) -> None:
        sysm = self.system
        path = self.concrete_path(v.idx)
        steps = [self.concrete.step_record(b, s) for b, s in path]
        cur = path[-1][1]
        if v.kind == "always":
            name, kind = sysm.properties[v.prop].name, ALWAYS
            msg = f"{name} does not hold in the last state"
        else:
            if v.kind == "transition":
                name, kind = sysm.properties[v.prop].name, TRANSITION
            else:
                name, kind = ACTION_ASSERTIONS, ALWAYS
            # find the concrete binding that fails the same way from the concrete state
            # Under symmetry the concrete state is a permutation of the stored one, so
            # the failing binding may be another record's (and its message name that
            # record): prefer the same message, else any failure of the same kind.
            failing = []
            for b in sysm.bindings:
                t, err = self.concrete.step(cur, b)
                if v.kind == "transition":
                    if t is not None and not self.concrete.holds(v.prop, cur, t):
                        failing.append((0, b, t, None))
                elif err is not None and err[0] == v.kind:
                    failing.append((0 if err[1] == v.msg else 1, b, t, f"{err[0]}: {err[1]}"))
            if not failing:  # pragma: no cover - an engine bug
                raise RuntimeError("internal error: could not re-execute the failing step")
            _, b, t, err_text = min(failing, key=lambda x: (x[0], x[1].id))
            steps.append(self.concrete.step_record(b, t, err_text))
            last = steps[-1]
            msg = (f"{last.action} breaks {name}" if v.kind == "transition"
                   else f"{last.action}: {last.error}")
        self.emit(Trace(sysm.name, sysm.fingerprint, sysm.config.to_json(), ENGINE, name, kind,
                         steps, message=msg))

    def emit(self, tr: Trace) -> None:
        """Keep a counterexample and write it to ``out_dir`` (every engine's traces go here)."""
        self.traces[tr.property] = tr
        if self.out_dir is not None:
            p = write_trace(tr, self.out_dir / default_name(tr.model, self.system.config.name,
                                                              tr.property))
            self.trace_files[tr.property] = str(p)

    def _record_witness(self, prop: int, idx: int) -> None:
        sysm = self.system
        path = self.concrete_path(idx)
        steps = [self.concrete.step_record(b, s) for b, s in path]
        name = sysm.properties[prop].name
        why = sysm.out_of_scope.get(name)
        if why:  # declared unreachable here: reaching it is a failure, with its trace written
            tr = Trace(sysm.name, sysm.fingerprint, sysm.config.to_json(), ENGINE, name, SOMETIMES,
                       steps, message=f"{name} reached, but declared out of scope in "
                                      f"{sysm.config.name}: {why}")
            self.emit(tr)
            return
        tr = Trace(sysm.name, sysm.fingerprint, sysm.config.to_json(), ENGINE, name, SOMETIMES,
                   steps, message=f"witness: {name} reached")
        self.traces[name] = tr  # witnesses are kept in memory, not written by default

    # -- progress properties -------------------------------------------------------------
    def _check_leads_to(self, prop: int, complete: bool, reason: str) -> PropertyResult:
        from .liveness import check_leads_to

        return check_leads_to(self, prop, complete, reason)


def explore(system: System, **kw: Any) -> RunResult:
    return Explorer(system, **kw).run()


def stderr_progress(info: dict[str, Any]) -> None:
    print(f"  {info['states']:>10,} states  depth {info['depth']:>4}  frontier "
          f"{info['frontier']:>9,}  {info['states_per_s']:>9,.0f} states/s", file=sys.stderr,
          flush=True)
