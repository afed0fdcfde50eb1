"""Progress properties (``leads_to``) on the explored state graph, with networkx.

``p ~> q`` fails when some reachable p-state has an infinite path on which q never
holds: a path into a cycle of not-q states, or into a not-q state with no successor
(a deadlock stutters forever).  Without fairness every such cycle counts, so a
schedule that starves an enabled context forever is a counterexample.  With weak
fairness (``@leads_to(fairness="who")`` per context, ``"action"`` per action) a cycle
counts only if every group that is enabled in all its states is also taken in it:
within a strongly connected component, a fair run exists exactly when each group
that is enabled everywhere in the component labels one of its edges.

The counterexample is a lasso whose loop starts at ``loop_start`` (and closes up to
symmetry when symmetry is on).  Needs the complete state graph in memory; an
incomplete search gives *unknown*.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import networkx as nx

from ppcheck.spec.expr import Expr
from ppcheck.spec.model import LEADS_TO, Binding, System

from .compile import _Emitter, _shared_nodes, _unpack_line
from .traces import Trace
from .verdict import HOLDS, UNKNOWN, VIOLATED, PropertyResult

if TYPE_CHECKING:
    from .explorer import Explorer


def _pred_for(system: System, expr: Expr) -> Callable[[int], bool]:
    """Compile a state predicate to a function of a packed state."""
    lay = system.layout
    em = _Emitter("_l", _shared_nodes([expr]))
    src = em.expr(expr)
    lines = ["def pred(s):"] + ["    " + _unpack_line(f) for f in lay.fields]
    lines += ["    " + ln for ln in em.lines] + [f"    return bool({src})"]
    ns: dict = {}
    exec("\n".join(lines), ns)
    return ns["pred"]


def group_of(b: Binding, fairness: str | None) -> str:
    """The fairness group of a binding: its context, or its action."""
    return b.action if fairness == "action" else (b.who or b.action)


def _fair(scc: set[int], g: nx.DiGraph, enabled: dict[int, frozenset], fairness: str | None) -> bool:
    if len(scc) == 1:
        (n,) = scc
        if not g.has_edge(n, n):
            return False
    if fairness is None:
        return True
    always_on = frozenset.intersection(*(enabled[n] for n in scc))
    taken: set[str] = set()
    for _a, _b, data in g.subgraph(scc).edges(data=True):
        taken |= data["groups"]
    return always_on <= taken


def check_leads_to(explorer: Explorer, prop: int, complete: bool, reason: str) -> PropertyResult:
    sysm = explorer.system
    p = sysm.properties[prop]
    fair_note = "no fairness assumed" if p.fairness is None else f"weak fairness per {p.fairness}"
    if not complete:
        return PropertyResult(p.name, LEADS_TO, UNKNOWN, f"needs the complete graph: {reason}",
                              engine="explorer")
    pre, post = _pred_for(sysm, p.pre), _pred_for(sysm, p.post)
    states = explorer.states
    index = {s: i for i, s in enumerate(states)}
    canon = explorer.compiled.namespace["canon"] if explorer.symmetry else (lambda t: t)
    g = nx.DiGraph()
    enabled: dict[int, frozenset] = {}
    deadlocks: set[int] = set()
    for i, s in enumerate(states):
        if post(s):
            continue
        g.add_node(i)
        succ = explorer.concrete.successors(s)
        enabled[i] = frozenset(group_of(b, p.fairness) for b, _, _ in succ)
        if not any(t is not None for _, t, _ in succ):
            deadlocks.add(i)
        for b, t, _ in succ:
            if t is None:
                continue
            j = index[canon(t)]
            if not post(states[j]):
                if g.has_edge(i, j):
                    g[i][j]["groups"].add(group_of(b, p.fairness))
                else:
                    g.add_edge(i, j, groups={group_of(b, p.fairness)})
    fair_sccs = [c for c in nx.strongly_connected_components(g) if _fair(c, g, enabled, p.fairness)]
    sinks: set[int] = set(deadlocks)
    for c in fair_sccs:
        sinks.update(c)
    rev = g.reverse(copy=True)
    rev.add_edges_from((-1, s) for s in sinks)
    bad = nx.descendants(rev, -1) if sinks else set()
    starts = sorted(i for i in bad if pre(states[i]))
    if not starts:
        return PropertyResult(p.name, LEADS_TO, HOLDS, fair_note, engine="explorer")
    start = starts[0]
    paths = nx.single_source_shortest_path(g, start)
    entry = min((n for n in paths if n in sinks), key=lambda n: (len(paths[n]), n))
    stem = paths[entry]
    loop: list[int] = []
    if entry not in deadlocks:
        scc = next(c for c in fair_sccs if entry in c)
        loop = _fair_loop(g, scc, entry, enabled, p.fairness)
    concrete = explorer.concrete_path(start)
    steps = [explorer.concrete.step_record(b, s) for b, s in concrete]
    cur = concrete[-1][1]
    for j in stem[1:] + loop:
        for b, t, _ in explorer.concrete.successors(cur):
            if t is not None and explorer._matches(t, states[j]):
                steps.append(explorer.concrete.step_record(b, t))
                cur = t
                break
    loop_start = len(concrete) - 1 + len(stem) - 1 if loop else None
    kind = "a cycle" if loop else "a deadlock"
    tr = Trace(sysm.name, sysm.fingerprint, sysm.config.to_json(), "explorer", p.name, LEADS_TO,
               steps, loop_start=loop_start,
               message=f"{p.name}: from step {len(concrete) - 1} q never holds ({kind}; {fair_note})")
    explorer._emit(tr)
    return PropertyResult(p.name, LEADS_TO, VIOLATED, tr.message, explorer.trace_files.get(p.name),
                          tr.length, engine="explorer")


def _fair_loop(g: nx.DiGraph, scc: set[int], entry: int, enabled: dict[int, frozenset],
               fairness: str | None) -> list[int]:
    """A closed walk from ``entry`` inside ``scc``, fair for the weak-fairness groups.

    Without fairness, the shortest cycle through ``entry``.  With it, a walk through
    every state of the component (so each group disabled somewhere is disabled on the
    loop) taking one edge of each group enabled everywhere.
    """
    sub = g.subgraph(scc)
    if fairness is None:
        best: list[int] | None = None
        for n in sub.successors(entry):
            back = nx.shortest_path(sub, n, entry)
            if best is None or len(back) < len(best):
                best = back
        return best or []
    always_on = frozenset.intersection(*(enabled[n] for n in scc))
    targets: list[tuple[int, int | None]] = [(n, None) for n in sorted(scc) if n != entry]
    for grp in sorted(always_on):
        a, b = next((a, b) for a, b, d in sub.edges(data=True) if grp in d["groups"])
        targets.append((a, b))
    walk: list[int] = []
    cur = entry
    for a, b in targets:
        walk += nx.shortest_path(sub, cur, a)[1:]
        cur = a
        if b is not None:
            walk.append(b)
            cur = b
    if cur != entry or not walk:
        walk += nx.shortest_path(sub, cur, entry)[1:] if cur != entry else \
            nx.shortest_path(sub, next(iter(sub.successors(entry))), entry)
    return walk
