"""``ppcheck diff A B``: compare two designs on one configuration.

A reviewer writes a proposed patch as a model B that derives from the current model A
and asks four questions, answered here from two complete explorations:

1. **Verdicts**: which properties hold in one and not in the other; each violation B
   has and A lacks comes with its shortest (BFS) counterexample, written to ``out_dir``.
2. **Behaviours**: the reachable states and transitions of each model *projected onto
   observables* (page location, counts, owner, ...), and what one has that the other
   lacks, with the shortest path to a few examples.  A model names its observables with
   ``observables(self, s) -> dict[str, expr]``; by default they are the state fields the
   two layouts share by name.  Keys ``arr[i].x`` over a symmetric array ``arr`` are
   compared up to renaming of its elements (the projected element tuples are sorted,
   a Ref observable into the array is remapped), so symmetry reduction cannot show up
   as a difference.
3. **Observation traces**: whether the two models have the same stutter-insensitive
   traces over the observables (sequences of projected states, a step that leaves the
   projection unchanged being invisible), decided by a joint subset construction over
   the two state graphs, with the shortest distinguishing sequence when they differ.
   This is the check a refactor that claims "no behaviour change" (seed 002) must pass.
4. **Coverage**: actions that fire in one model and never in the other, or exist in
   only one.

Both explorations must be complete for behaviour answers to be exact; otherwise every
answer is marked *incomplete* and the exit code is 3 (unless B has a new violation).
Exit codes: 0 no verdict differences that make B worse, 1 B has a violation (or a
vacuous witness) A lacks, 2 usage errors (raised as :class:`SpecError`), 3 incomplete.
"""

from __future__ import annotations

import json
import re
import textwrap
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from ppcheck.spec.expr import Expr, SpecError, lift
from ppcheck.spec.model import Model, System

from .compile import compile_state_function
from .explorer import Explorer
from .traces import default_name, write_trace
from .verdict import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_VIOLATION,
    VIOLATED,
    PropertyResult,
    RunResult,
    is_failure,
)

#: how many examples of each kind of difference are shown
EXAMPLES = 5
#: budget of the joint subset construction (pairs of state sets)
EQUIV_BUDGET = 200_000

_ELEM = re.compile(r"^([A-Za-z_][\w.]*)\[(\d+)\](.*)$")


# -- observables ---------------------------------------------------------------------------

def observable_exprs(system: System) -> dict[str, Expr] | None:
    """The model's declared observables traced to expressions, or None if it has none."""
    got = system.trace_hook("observables")
    if got is None:
        return None
    return {k: lift(v) for k, v in got.items()}


def field_exprs(system: System) -> dict[str, Expr]:
    """Every state field as an observable named by its path."""
    return {f.name: Expr("var", (), f.sort, f.index) for f in system.layout.fields}


def _decode(system: System, e: Expr, v: int) -> Any:
    """Show a value like the trace format does (enum names, refs, booleans)."""
    if e.op == "var":
        return system.layout.fields[e.value].show(v)
    return bool(v) if e.sort == "bool" else v


class Projection:
    """A compiled projection of one system's states onto shared observables.

    ``key(s)`` is a hashable value, equal for two states (of either model) exactly when
    their observables agree up to renaming of symmetric-array elements.
    """

    def __init__(self, system: System, keys: list[str], exprs: dict[str, Expr],
                 symmetric: set[str]):
        self.system = system
        self.keys = keys
        self.exprs = [exprs[k] for k in keys]
        lay = system.layout
        self.raw = compile_state_function(system, self.exprs, "_o")
        # group element observables of symmetric arrays: arr -> index -> [(suffix, pos)]
        groups: dict[str, dict[int, list[tuple[str, int]]]] = {}
        self.plain: list[int] = []
        for pos, k in enumerate(keys):
            m = _ELEM.match(k)
            if m and m.group(1) in symmetric:
                groups.setdefault(m.group(1), {}).setdefault(int(m.group(2)), []).append(
                    (m.group(3), pos))
            else:
                self.plain.append(pos)
        self.groups: list[tuple[str, list[list[int]]]] = []
        for arr, elems in sorted(groups.items()):
            idxs = sorted(elems)
            cols = [[p for _, p in sorted(elems[i])] for i in idxs]
            self.groups.append((arr, cols))
        # observables that are a Ref into a symmetric array: remapped by the sort
        self.refs: dict[int, str] = {}
        for pos, e in enumerate(self.exprs):
            if e.op == "var":
                tgt = lay.fields[e.value].ref_target
                if tgt in symmetric and pos in self.plain:
                    self.refs[pos] = tgt

    def key(self, s: int) -> tuple:
        v = self.raw(s)
        if not self.groups:
            return v
        out_plain = [v[p] for p in self.plain]
        parts: list[Any] = []
        perms: dict[str, list[int]] = {}
        for arr, cols in self.groups:
            tuples = [tuple(v[p] for p in col) for col in cols]
            order = sorted(range(len(tuples)), key=tuples.__getitem__)
            inv = [0] * len(order)
            for new, old in enumerate(order):
                inv[old] = new
            perms[arr] = inv
            parts.append(tuple(tuples[i] for i in order))
        for j, p in enumerate(self.plain):
            if p in self.refs and out_plain[j] >= 0:
                inv = perms.get(self.refs[p])
                if inv is not None and out_plain[j] < len(inv):
                    out_plain[j] = inv[out_plain[j]]
        return (tuple(out_plain), tuple(parts))

    def show(self, key: tuple) -> dict[str, Any]:
        """A projected key back as ``{observable: value}`` (enum names, booleans)."""
        if not self.groups:
            return {k: _decode(self.system, e, x) for k, e, x in zip(self.keys, self.exprs, key)}
        plain, parts = key
        out: dict[str, Any] = {}
        for j, p in enumerate(self.plain):
            out[self.keys[p]] = _decode(self.system, self.exprs[p], plain[j])
        for (arr, cols), tuples in zip(self.groups, parts):
            for i, tup in enumerate(tuples):
                for p, x in zip(cols[0], tup):
                    suffix = _ELEM.match(self.keys[p]).group(3)  # type: ignore[union-attr]
                    out[f"{arr}[{i}]{suffix}"] = _decode(self.system, self.exprs[p], x)
        return out


def shared_observables(sa: System, sb: System) -> tuple[list[str], dict[str, Expr], dict[str, Expr],
                                                           list[str], str]:
    """The observable names both models offer, their expressions, the names dropped, and how
    they were chosen."""
    oa, ob = observable_exprs(sa), observable_exprs(sb)
    if oa is None and ob is None:
        how = "state fields the two layouts share by name"
    elif oa is not None and ob is not None:
        how = "observables() declared by both models"
    else:
        how = "observables() of one model, state fields of the other"
    ea = oa if oa is not None else field_exprs(sa)
    eb = ob if ob is not None else field_exprs(sb)
    keys = [k for k in ea if k in eb]
    dropped = sorted((set(ea) | set(eb)) - set(keys))
    for k in keys:
        if ea[k].sort != eb[k].sort:
            raise SpecError(f"observable {k} is a {ea[k].sort} in {sa.name} and a "
                            f"{eb[k].sort} in {sb.name}")
    if not keys:
        raise SpecError(f"{sa.name} and {sb.name} share no observables: declare observables()")
    return keys, ea, eb, dropped, how


# -- one side: exploration, state graph, projections ---------------------------------------

@dataclass
class Side:
    """One model's exploration and its projected behaviours."""

    system: System
    explorer: Explorer
    run: RunResult
    proj: Projection | None = None
    obs: list[int] = field(default_factory=list)  # state index -> interned projection id
    succ: list[list[int]] = field(default_factory=list)  # state index -> successor indices
    first: dict[tuple, int] = field(default_factory=dict)  # projection -> shallowest state
    edges: dict[tuple[tuple, tuple], int] = field(default_factory=dict)  # -> source state

    def build_graph(self, proj: Projection, intern: dict[tuple, int]) -> None:
        """Re-expand every explored state: successors, projections, projected transitions."""
        ex = self.explorer
        self.proj = proj
        states = ex.states
        index = {s: i for i, s in enumerate(states)}
        keys = [proj.key(s) for s in states]
        for i, k in enumerate(keys):
            self.first.setdefault(k, i)
            self.obs.append(intern.setdefault(k, len(intern)))
        self.succ = [[] for _ in states]
        for i, t in ex.edges():
            j = index.get(t)
            if j is None:  # beyond the budget of an incomplete search
                continue
            self.succ[i].append(j)
            if keys[j] != keys[i]:
                self.edges.setdefault((keys[i], keys[j]), i)

    def path_to(self, idx: int) -> list[str]:
        """The shortest path to a state, as action labels."""
        return [b.label() for b, _ in self.explorer.concrete_path(idx)[1:] if b is not None]


def _explore(model: type[Model], cfg: Any, max_states: int | None,
             progress: Callable[[dict[str, Any]], None] | None = None) -> Side:
    from ppcheck.loading import build_system

    system = build_system(model, cfg)
    ex = Explorer(system, max_states=max_states, progress=progress, progress_every=1.0)
    run = ex.run()
    return Side(system, ex, run)


# -- observation-trace equivalence ---------------------------------------------------------

def _closure(side: Side, xs: frozenset[int] | set[int], o: int) -> frozenset[int]:
    """Add every state reachable by stuttering steps (projection stays ``o``)."""
    out = set(xs)
    todo = list(xs)
    while todo:
        i = todo.pop()
        for j in side.succ[i]:
            if side.obs[j] == o and j not in out:
                out.add(j)
                todo.append(j)
    return frozenset(out)


def _moves(side: Side, xs: frozenset[int], o: int) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for i in xs:
        for j in side.succ[i]:
            oj = side.obs[j]
            if oj != o:
                out.setdefault(oj, set()).add(j)
    return out


def trace_equivalence(a: Side, b: Side, budget: int = EQUIV_BUDGET) -> dict[str, Any]:
    """Do A and B have the same stutter-insensitive observation traces?

    A breadth-first joint subset construction over (set of A states, set of B states)
    sharing one observation sequence; the first observation one side can make and the
    other cannot gives the shortest distinguishing sequence.
    """
    inits: dict[int, tuple[set[int], set[int]]] = {}
    for i in range(len(a.explorer.states)):
        if a.explorer.parents[i] < 0:
            inits.setdefault(a.obs[i], (set(), set()))[0].add(i)
    for i in range(len(b.explorer.states)):
        if b.explorer.parents[i] < 0:
            inits.setdefault(b.obs[i], (set(), set()))[1].add(i)
    seen: set[tuple[frozenset[int], frozenset[int]]] = set()
    queue: deque[tuple[frozenset[int], frozenset[int], int, tuple[int, ...]]] = deque()
    for o, (xa, xb) in sorted(inits.items()):
        if not xa or not xb:
            return {"equivalent": False, "only_in": "B" if not xa else "A", "sequence": [o]}
        pa, pb = _closure(a, xa, o), _closure(b, xb, o)
        seen.add((pa, pb))
        queue.append((pa, pb, o, (o,)))
    while queue:
        if len(seen) > budget:
            return {"equivalent": None, "reason": f"budget of {budget} state-set pairs reached"}
        xa, xb, o, seq = queue.popleft()
        ma, mb = _moves(a, xa, o), _moves(b, xb, o)
        if set(ma) != set(mb):
            extra_b = sorted(set(mb) - set(ma))
            extra_a = sorted(set(ma) - set(mb))
            if extra_b:
                return {"equivalent": False, "only_in": "B", "sequence": [*seq, extra_b[0]]}
            return {"equivalent": False, "only_in": "A", "sequence": [*seq, extra_a[0]]}
        for o2 in sorted(ma):
            pa, pb = _closure(a, ma[o2], o2), _closure(b, mb[o2], o2)
            if (pa, pb) not in seen:
                seen.add((pa, pb))
                queue.append((pa, pb, o2, (*seq, o2)))
    return {"equivalent": True, "pairs": len(seen)}


# -- the diff -----------------------------------------------------------------------------

@dataclass
class DiffResult:
    """Everything ``ppcheck diff`` reports (``to_json`` for machines)."""

    model_a: str
    model_b: str
    config: str
    params_a: dict[str, Any]
    params_b: dict[str, Any]
    runs: dict[str, dict[str, Any]]
    complete: bool
    verdict_changes: list[dict[str, Any]]
    new_violations: list[dict[str, Any]]
    #: violated in both, but the shortest counterexample fails differently
    failure_changes: list[dict[str, Any]]
    observables: list[str]
    observables_how: str
    observables_dropped: list[str]
    states: dict[str, Any]
    transitions: dict[str, Any]
    equivalence: dict[str, Any]
    coverage: list[dict[str, Any]]
    renamed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: properties the base model A already violates (or leaves vacuous) in this configuration
    base_failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def b_worse(self) -> bool:
        return bool(self.new_violations)

    @property
    def base_fails(self) -> bool:
        """A already fails here: "no new violation" would say nothing about those properties."""
        return bool(self.base_failures)

    @property
    def behaviours_equal(self) -> bool:
        """Same projected states, same projected transitions, same observation traces."""
        return (self.states["only_a"] == 0 and self.states["only_b"] == 0
                and self.transitions["only_a"] == 0 and self.transitions["only_b"] == 0
                and self.equivalence.get("equivalent") is True)

    @property
    def exit_code(self) -> int:
        if self.b_worse or self.base_fails:
            return EXIT_VIOLATION
        if not self.complete:
            return EXIT_INCOMPLETE
        return EXIT_OK

    def to_json(self) -> dict[str, Any]:
        """Deterministic fields, and the wall-clock ones under ``timing``."""
        d = {k: v for k, v in self.__dict__.items() if k != "seconds"}
        d["runs"] = {k: {x: y for x, y in r.items() if x != "seconds"} for k, r in self.runs.items()}
        d["behaviours_equal"] = self.behaviours_equal
        d["base_fails"] = self.base_fails
        d["exit_code"] = self.exit_code
        d["timing"] = {"seconds": self.seconds,
                       **{f"seconds_{k}": r.get("seconds") for k, r in self.runs.items()}}
        return d


def _run_summary(r: RunResult) -> dict[str, Any]:
    return {"model": r.model, "states": r.states, "transitions": r.transitions, "depth": r.depth,
            "seconds": round(r.seconds, 3), "complete": r.complete, "reason": r.reason,
            "symmetry": r.symmetry, "fingerprint": r.fingerprint}


class BaseFails(Exception):
    """The base model A already fails in the configuration: the diff stops (see ``diff``)."""

    def __init__(self, run: RunResult, failures: list[dict[str, Any]]):
        super().__init__(f"the base {run.model} already fails in configuration {run.config}")
        self.run = run
        self.failures = failures


def base_failures(run: RunResult) -> list[dict[str, Any]]:
    """The properties the base model violates (or whose witness is vacuous) in its run."""
    return [{"property": r.name, "status": r.status, "detail": r.detail,
             "length": r.trace_length, "trace_file": r.trace_file}
            for r in run.results if _bad(r)]


def _bad(r: PropertyResult | None) -> bool:
    """A failure (a vacuous witness declared out of scope in the configuration is not one)."""
    return r is not None and is_failure(r)


def diff(model_a: type[Model], model_b: type[Model], config: str | None = None,
         overrides: dict[str, Any] | None = None, max_states: int | None = None,
         out_dir: str | Path | None = None, examples: int = EXAMPLES,
         equiv_budget: int = EQUIV_BUDGET, progress: Any = None,
         on_base: Callable[[RunResult], None] | None = None,
         stop_if_base_fails: bool = False) -> DiffResult:
    """Explore A and B on one configuration and compare them (see the module docstring).

    ``progress`` (a :class:`checks.progress.ProgressLine`) is told each phase and the
    explorer's figures; ``on_base(run)`` is called as soon as A is explored, so a caller can
    say at once that the base already fails; with ``stop_if_base_fails`` the diff then
    raises :class:`BaseFails` instead of exploring B (what ``ppcheck diff`` does by default).
    """
    phase = progress.phase if progress is not None else (lambda label: None)
    tick = progress.update if progress is not None else None
    t0 = time.perf_counter()
    overrides = overrides or {}
    name = config or model_a.default_configs[0]
    if name not in model_b.configs:
        raise SpecError(f"model {model_b.name} has no configuration {name!r} "
                        f"(it has: {', '.join(model_b.configs)})")
    cfg_a = model_a.config(name, **overrides)
    cfg_b = model_b.config(name, **overrides)
    phase(f"diff: exploring A = {model_a.name}/{name}")
    a = _explore(model_a, cfg_a, max_states, tick)
    if a.explorer.out_dir is None and out_dir is not None:
        for p, tr in a.explorer.traces.items():  # the base's own counterexamples, for reading
            if tr.kind != "sometimes":
                path = write_trace(tr, Path(out_dir) / default_name(tr.model, name, p))
                for r in a.run.results:
                    if r.name == p:
                        r.trace_file = str(path)
    if on_base is not None:
        on_base(a.run)
    if stop_if_base_fails and base_failures(a.run):
        raise BaseFails(a.run, base_failures(a.run))
    phase(f"diff: exploring B = {model_b.name}/{name}")
    b = _explore(model_b, cfg_b, max_states, tick)
    complete = a.run.complete and b.run.complete
    phase("diff: comparing behaviours")

    # 1. verdicts
    va = {r.name: r for r in a.run.results}
    vb = {r.name: r for r in b.run.results}
    changes, new = [], []
    failures: list[dict[str, Any]] = []
    for p in list(va) + [p for p in vb if p not in va]:
        sa = va[p].status if p in va else None
        sb = vb[p].status if p in vb else None
        if sa == sb == VIOLATED and (va[p].detail, va[p].trace_length) != (
                vb[p].detail, vb[p].trace_length):
            failures.append({"property": p, "a": va[p].detail, "b": vb[p].detail,
                             "length_a": va[p].trace_length, "length_b": vb[p].trace_length})
        if sa == sb:
            continue
        changes.append({"property": p, "a": sa, "b": sb})
        if _bad(vb.get(p)) and not _bad(va.get(p)) and sa is not None:
            entry: dict[str, Any] = {"property": p, "status": sb, "detail": vb[p].detail}
            tr = b.explorer.traces.get(p)
            if tr is not None and sb == VIOLATED:
                entry["length"] = tr.length
                entry["steps"] = [f"{s.who + ': ' if s.who else ''}{s.action}"
                                  f"({', '.join(f'{k}={v}' for k, v in s.args.items())})"
                                  for s in tr.steps[1:]]
                if out_dir is not None:
                    path = write_trace(tr, Path(out_dir) / default_name(tr.model, name, p))
                    entry["trace_file"] = str(path)
            new.append(entry)
        elif sb is not None and sa is None and _bad(vb.get(p)):
            new.append({"property": p, "status": sb, "detail": vb[p].detail, "new_property": True})

    # 2. behaviours over the shared observables
    keys, ea, eb, dropped, how = shared_observables(a.system, b.system)
    sym = set(a.system.symmetric_arrays) | set(b.system.symmetric_arrays)
    intern: dict[tuple, int] = {}
    a.build_graph(Projection(a.system, keys, ea, sym), intern)
    b.build_graph(Projection(b.system, keys, eb, sym), intern)

    def state_examples(src: Side, other: Side) -> tuple[int, list[dict[str, Any]]]:
        only = [k for k in src.first if k not in other.first]
        only.sort(key=src.first.__getitem__)  # BFS order: shallowest first
        ex = []
        for k in only[:examples]:
            e = {"observables": src.proj.show(k),  # type: ignore[union-attr]
                 "path": src.path_to(src.first[k])}
            e.update(_last_change(src, other, src.first[k]))
            ex.append(e)
        return len(only), ex

    def edge_examples(src: Side, other: Side) -> tuple[int, list[dict[str, Any]]]:
        only = [e for e in src.edges if e not in other.edges]
        only.sort(key=src.edges.__getitem__)
        out = []
        for e in only[:examples]:
            before, after = src.proj.show(e[0]), src.proj.show(e[1])  # type: ignore[union-attr]
            change = {k: [before[k], after[k]] for k in before if before[k] != after.get(k)}
            out.append({"from": before, "change": change, "path": src.path_to(src.first[e[0]]),
                        "by": _edge_action(src, src.first[e[0]], e[1]),
                        "from_in_other": e[0] in other.first})
        return len(only), out

    na, exa = state_examples(a, b)
    nb, exb = state_examples(b, a)
    states = {"a": len(a.first), "b": len(b.first), "common": len(set(a.first) & set(b.first)),
              "only_a": na, "only_b": nb, "examples_only_a": exa, "examples_only_b": exb}
    ta, etxa = edge_examples(a, b)
    tb, etxb = edge_examples(b, a)
    transitions = {"a": len(a.edges), "b": len(b.edges),
                   "common": len(set(a.edges) & set(b.edges)), "only_a": ta, "only_b": tb,
                   "examples_only_a": etxa, "examples_only_b": etxb}
    if complete:
        phase("diff: observation-trace equivalence")
        eq = trace_equivalence(a, b, equiv_budget)
    else:
        eq = {"equivalent": None, "reason": "an exploration is incomplete"}
    if "sequence" in eq:
        rev = {v: k for k, v in intern.items()}
        p = a.proj if eq["only_in"] == "A" else b.proj
        eq["sequence"] = [p.show(rev[o]) for o in eq["sequence"]]  # type: ignore[union-attr]
    g = _projected_graph(b)
    eq["b_projected_graph"] = {"nodes": g.number_of_nodes(), "edges": g.number_of_edges(),
                               "sccs": nx.number_strongly_connected_components(g)}

    # 4. coverage (an action B declares as a rename of one of A's is compared with it)
    renames: dict[str, str] = dict(model_b.renames or {})
    cov_b = dict(b.run.coverage)
    for was, now in renames.items():
        if was in a.run.coverage and now in cov_b and was not in cov_b:
            cov_b[was] = cov_b.pop(now)
    cov = []
    for act in list(a.run.coverage) + [x for x in cov_b if x not in a.run.coverage]:
        ca, cb = a.run.coverage.get(act), cov_b.get(act)
        fa = None if ca is None else ca > 0
        fb = None if cb is None else cb > 0
        label = act if act not in renames or act in b.run.coverage else f"{act} -> {renames[act]}"
        if ca is None or cb is None or fa != fb:
            what = ("only in A" if cb is None else "only in B" if ca is None
                    else "never fires in B" if fa else "never fires in A")
            cov.append({"action": label, "a": ca, "b": cb, "change": what})
        elif ca != cb:
            cov.append({"action": label, "a": ca, "b": cb, "change": "count"})
    renamed = [f"{k} -> {v}" for k, v in renames.items()
               if k in a.run.coverage and v in b.run.coverage]

    return DiffResult(
        model_a=a.system.name, model_b=b.system.name, config=name,
        params_a=dict(cfg_a.params), params_b=dict(cfg_b.params),
        runs={"a": _run_summary(a.run), "b": _run_summary(b.run)}, complete=complete,
        verdict_changes=changes, new_violations=new, failure_changes=failures,
        observables=keys, observables_how=how,
        observables_dropped=dropped, states=states, transitions=transitions, equivalence=eq,
        coverage=cov, renamed=renamed, seconds=round(time.perf_counter() - t0, 3),
        base_failures=base_failures(a.run))


def _last_change(src: Side, other: Side, idx: int) -> dict[str, Any]:
    """How the shortest path to state ``idx`` last changed the observables: the step, the
    observables it changed, and whether the state it left is one the other model has."""
    proj = src.proj
    assert proj is not None
    path = src.explorer.concrete_path(idx)
    keys = [proj.key(s) for _, s in path]
    end = keys[-1]
    j = len(keys) - 1
    while j > 0 and keys[j - 1] == end:
        j -= 1
    if j == 0:
        return {"by": None, "change": {}, "from_in_other": False}
    before, after = proj.show(keys[j - 1]), proj.show(end)
    b = path[j][0]
    return {"by": (f"{b.who + ': ' if b.who else ''}{b.label()}") if b is not None else None,
            "change": {k: [before[k], after[k]] for k in before if before[k] != after.get(k)},
            "from_in_other": keys[j - 1] in other.first}


def _edge_action(src: Side, idx: int, target: tuple) -> str | None:
    """The action that takes (a concrete copy of) state ``idx`` to projection ``target``."""
    proj = src.proj
    assert proj is not None
    cur = src.explorer.concrete_path(idx)[-1][1]
    for b, t, _ in src.explorer.concrete.successors(cur):
        if t is not None and proj.key(t) == target:
            return f"{b.who + ': ' if b.who else ''}{b.label()}"
    return None


def _projected_graph(side: Side) -> nx.DiGraph:
    """The quotient of a model's state graph by its projection (networkx)."""
    g = nx.DiGraph()
    g.add_nodes_from(side.first)
    g.add_edges_from(side.edges)
    return g


# -- text -----------------------------------------------------------------------------------

def _fmt_obs(d: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_v(v)}" for k, v in d.items())


def _v(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


#: the widest line the diff prints (continuations are indented)
WIDTH = 119


def _wrap(text: str, indent: str = "      ") -> list[str]:
    """``text`` as lines of at most :data:`WIDTH` characters."""
    if len(text) <= WIDTH:
        return [text]
    lead = text[:len(text) - len(text.lstrip())]
    return textwrap.wrap(text, WIDTH, initial_indent="", subsequent_indent=lead + indent,
                         break_long_words=True, break_on_hyphens=False) or [text]


def _changes(ch: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {_v(x)} -> {_v(y)}" for k, (x, y) in ch.items())


def _path(path: list[str], keep: int = 4) -> str:
    if not path:
        return "(the initial state)"
    if len(path) <= keep:
        return " ; ".join(path)
    return f"{len(path)} steps: ... ; " + " ; ".join(path[-keep:])


def render_text(d: DiffResult) -> str:
    """The diff for a reviewer: every line under 120 characters, behaviours as the
    observables a step changed (not whole projected states)."""
    L: list[str] = []
    ra, rb = d.runs["a"], d.runs["b"]
    if d.base_fails:
        L.append(f"BASE ALREADY FAILS: {d.model_a} violates in configuration {d.config}:")
        for f in d.base_failures:
            what = f"{f['length']} steps" if f.get("length") is not None else f["status"]
            L.append(f"  {f['property']} ({what})" + (f": {f['trace_file']}" if f.get("trace_file") else ""))
        L.append("  so 'no new violation' cannot say whether B fixes, keeps or hides these; "
                 "choose a configuration where A holds")
        L.append("")
    L.append(f"ppcheck diff {d.model_a} -> {d.model_b}, configuration {d.config}")
    if d.params_a != d.params_b:
        L.append(f"  parameters differ: A {d.params_a}  B {d.params_b}")
    else:
        L.append("  " + ", ".join(f"{k}={v}" for k, v in sorted(d.params_a.items())))
    for tag, r in (("A", ra), ("B", rb)):
        st = "complete" if r["complete"] else f"INCOMPLETE ({r['reason']})"
        L.append(f"  {tag} {r['model']}: {r['states']:,} states, {r['transitions']:,} transitions, "
                 f"depth {r['depth']}, {r['seconds']:.2f}s, {st}")
    L.append("")
    L.append("verdicts")
    if not d.verdict_changes and not d.failure_changes:
        L.append("  no property changes its verdict")
    for c in d.verdict_changes:
        L.append(f"  {c['property']:<40} {c['a'] or '(absent)':>9} -> {c['b'] or '(absent)'}")
    for f in d.failure_changes:
        L.append(f"  {f['property']}: violated in both; the shortest counterexamples differ")
        L.append(f"    A ({f['length_a']} steps): {f['a']}")
        L.append(f"    B ({f['length_b']} steps): {f['b']}")
    for n in d.new_violations:
        L.append(f"  NEW in B: {n['property']} {n['status']}: {n['detail']}")
        if "steps" in n:
            L.append(f"    shortest counterexample, {n['length']} steps"
                     + (f": {n['trace_file']}" if "trace_file" in n else ""))
            for i, s in enumerate(n["steps"], 1):
                L.append(f"      {i:>2}. {s}")
    L.append("")
    L.append(f"behaviours over {len(d.observables)} observables ({d.observables_how})")
    L.append("  " + ", ".join(d.observables))
    if d.observables_dropped:
        L.append(f"  not compared (in one model only): {', '.join(d.observables_dropped)}")
    s, t = d.states, d.transitions
    L.append(f"  projected states:      A {s['a']:,}  B {s['b']:,}  common {s['common']:,}  "
             f"only A {s['only_a']:,}  only B {s['only_b']:,}")
    L.append(f"  projected transitions: A {t['a']:,}  B {t['b']:,}  common {t['common']:,}  "
             f"only A {t['only_a']:,}  only B {t['only_b']:,}")
    other = {"A": "B", "B": "A"}
    for side, tag in (("b", "B"), ("a", "A")):
        for ex in s[f"examples_only_{side}"]:
            if ex.get("by"):
                known = (f"from a state {other[tag]} also has" if ex.get("from_in_other")
                         else "from a state only in " + tag)
                L.append(f"  state only in {tag}: {ex['by']} {known} changes {_changes(ex['change'])}")
            else:
                L.append(f"  state only in {tag}: {_fmt_obs(ex['observables'])}")
            L.append(f"    after: {_path(ex['path'][:-1] if ex.get('by') else ex['path'])}")
        for ex in t[f"examples_only_{side}"]:
            by = ex.get("by") or "a step"
            known = ("from a state both have" if ex.get("from_in_other")
                     else f"from a state only in {tag}")
            L.append(f"  transition only in {tag}: {by} {known} changes {_changes(ex['change'])}")
            L.append(f"    after: {_path(ex['path'])}")
    eq = d.equivalence
    if eq.get("equivalent") is True:
        L.append(f"  observation traces: EQUIVALENT (stutter-insensitive; {eq['pairs']:,} "
                 "state-set pairs)")
    elif eq.get("equivalent") is False:
        L.append(f"  observation traces: DIFFER; shortest sequence only {eq['only_in']} can show "
                 f"({len(eq['sequence'])} observations):")
        prev: dict[str, Any] = {}
        for i, o in enumerate(eq["sequence"]):
            if i == 0:
                L.append(f"    0. {_fmt_obs(o)}")
            else:
                ch = {k: v for k, v in o.items() if prev.get(k) != v}
                L.append(f"    {i}. changes: {_fmt_obs(ch)}")
            prev = o
    else:
        L.append(f"  observation traces: UNDECIDED ({eq.get('reason')})")
    L.append("")
    L.append("coverage")
    if d.renamed:
        L.append(f"  {len(d.renamed)} actions renamed in B (declared by B's `renames`), compared "
                 "under A's names")
    if not d.coverage:
        L.append("  every action fires in both or in neither; same transition counts")
    for c in d.coverage:
        L.append(f"  {c['action']:<40} A {_v(c['a']):>8}  B {_v(c['b']):>8}  {c['change']}")
    L.append("")
    verdict = ("B HAS A NEW VIOLATION" if d.b_worse else "incomplete" if not d.complete
               else "no new violation")
    same = "behaviours equal" if d.behaviours_equal else "behaviours differ"
    if d.base_fails:
        names = ", ".join(f["property"] for f in d.base_failures)
        verdict = f"BASE {d.model_a} ALREADY FAILS ({names}); " + verdict + " relative to it"
    L.append(f"result: {verdict}; {same}  ({d.seconds:.2f}s)")
    return "\n".join(w for line in L for w in _wrap(line)) + "\n"


def diff_command(model_a: type[Model], model_b: type[Model], config: str | None,
                 overrides: dict[str, Any], max_states: int | None, out_dir: str | None,
                 as_json: bool) -> int:
    """Print the diff, return the exit code (the CLI's ``diff`` adds progress and JSON)."""
    d = diff(model_a, model_b, config, overrides, max_states, out_dir)
    if as_json:
        print(json.dumps(d.to_json(), indent=1, default=str))
    else:
        print(render_text(d), end="")
    return d.exit_code
