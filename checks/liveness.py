"""Progress properties (``leads_to``) on the explored state graph, with networkx.

``p ~> q`` fails when some reachable p-state has an infinite path on which q never
holds: a path into a cycle of not-q states, or into a not-q state with no successor
(a deadlock stutters forever).  Without fairness every such cycle counts, so a
schedule that starves an enabled context forever is a counterexample.  With weak
fairness (``@leads_to(fairness="who")`` per context, ``"action"`` per action) a cycle
counts only if every group that is enabled in all its states is also taken in it:
within a strongly connected component, a fair run exists exactly when each group
that is enabled everywhere in the component labels one of its edges.  With strong
fairness (``"strong who"``, ``"strong action"``: a group enabled infinitely often runs
infinitely often, as a waiter on a queued spinlock does) the Emerson-Lei refinement
removes the states that enable a group the component never takes, and looks again.

The counterexample is a lasso whose loop starts at ``loop_start`` (and closes up to
symmetry when symmetry is on).  Needs the complete state graph in memory; an
incomplete search gives *unknown*.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx

from ppcheck.spec.model import LEADS_TO, Binding

from .compile import compile_predicate
from .traces import Trace
from .verdict import HOLDS, UNKNOWN, VIOLATED, PropertyResult

if TYPE_CHECKING:
    from .explorer import Explorer


def group_of(b: Binding, fairness: str | None) -> str:
    """The fairness group of a binding: its context, or its action."""
    return b.action if fairness and fairness.endswith("action") else (b.who or b.action)


def _cyclic(scc: set[int], g: nx.DiGraph) -> bool:
    if len(scc) > 1:
        return True
    (n,) = scc
    return g.has_edge(n, n)


def _taken(scc: set[int], g: nx.DiGraph) -> set[str]:
    """The groups labelling edges inside ``scc``."""
    taken: set[str] = set()
    adj = g.adj
    for n in scc:
        for m, data in adj[n].items():
            if m in scc:
                taken |= data["groups"]
    return taken


def fair_components(g: nx.DiGraph, nodes: set[int], enabled: dict[int, frozenset],
                    fairness: str | None) -> list[set[int]]:
    """The strongly connected sets of ``nodes`` in which a fair run can stay forever.

    Weak fairness: every group enabled in *all* states of the set labels an edge in it.
    Strong fairness (Emerson-Lei): a group enabled *somewhere* but never taken in the
    set forbids the states enabling it; what remains is split again.
    """
    out: list[set[int]] = []
    view = g if len(nodes) == g.number_of_nodes() else g.subgraph(nodes)
    for scc in nx.strongly_connected_components(view):
        if not _cyclic(scc, g):
            continue
        if fairness is None:
            out.append(scc)
            continue
        taken = _taken(scc, g)
        if not fairness.startswith("strong"):
            if frozenset.intersection(*(enabled[n] for n in scc)) <= taken:
                out.append(scc)
            continue
        unfair = frozenset.union(*(enabled[n] for n in scc)) - taken
        if not unfair:
            out.append(scc)
            continue
        rest = {n for n in scc if not enabled[n] & unfair}
        if rest:
            out += fair_components(g, rest, enabled, fairness)
    return out


def check_leads_to(explorer: Explorer, prop: int, complete: bool, reason: str) -> PropertyResult:
    sysm = explorer.system
    p = sysm.properties[prop]
    if p.fairness is None:
        fair_note = "no fairness assumed"
    else:
        strength = "strong" if p.fairness.startswith("strong") else "weak"
        fair_note = f"{strength} fairness per {p.fairness.split()[-1]}"
    if not complete:
        return PropertyResult(p.name, LEADS_TO, UNKNOWN, f"needs the complete graph: {reason}",
                              engine="explorer")
    pre, post = compile_predicate(sysm, p.pre), compile_predicate(sysm, p.post)
    states = explorer.states
    # the native backend computes the verdict in C (checks/native/liveness.c); only a
    # violation needs the networkx graph, rebuilt from the C one, for the lasso below
    native = getattr(explorer, "native_leads_to", None)
    native_start: int | None = None
    if native is not None:
        native_start, graph = native(prop, lambda b: group_of(b, p.fairness))
        if native_start is None:
            return PropertyResult(p.name, LEADS_TO, HOLDS, fair_note, engine="explorer")
        g, enabled, deadlocks = graph()
    else:
        g, enabled, deadlocks = leads_to_graph(explorer, p, post)
    fair_sccs = fair_components(g, set(g.nodes), enabled, p.fairness)
    sinks: set[int] = set(deadlocks)
    for c in fair_sccs:
        sinks.update(c)
    # the not-q states that can reach a sink: backwards breadth-first search
    pred: dict[int, list[int]] = {}
    for a, b in g.edges():
        pred.setdefault(b, []).append(a)
    bad = set(sinks)
    frontier = list(sinks)
    while frontier:
        n = frontier.pop()
        for m in pred.get(n, ()):
            if m not in bad:
                bad.add(m)
                frontier.append(m)
    starts = sorted(i for i in bad if pre(states[i]))
    if native is not None and starts[:1] != [native_start]:  # pragma: no cover - an engine bug
        raise RuntimeError(f"internal error: {p.name}: the native and networkx searches disagree")
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
            if t is not None and explorer.matches(t, states[j]):
                steps.append(explorer.concrete.step_record(b, t))
                cur = t
                break
    loop_start = len(concrete) - 1 + len(stem) - 1 if loop else None
    kind = "a cycle" if loop else "a deadlock"
    tr = Trace(sysm.name, sysm.fingerprint, sysm.config.to_json(), "explorer", p.name, LEADS_TO,
               steps, loop_start=loop_start,
               message=f"{p.name}: from step {len(concrete) - 1} q never holds ({kind}; {fair_note})")
    explorer.emit(tr)
    return PropertyResult(p.name, LEADS_TO, VIOLATED, tr.message, explorer.trace_files.get(p.name),
                          tr.length, engine="explorer")


def leads_to_graph(explorer: Explorer, p: Any, post: Any) -> tuple[nx.DiGraph, dict[int, frozenset],
                                                                 set[int]]:
    """The graph of the not-q states, each edge labelled with its fairness groups; the
    groups enabled in each state; the states without a successor."""
    states = explorer.states
    index = {s: i for i, s in enumerate(states)}
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
            j = index[explorer.canonical(t)]
            if not post(states[j]):
                if g.has_edge(i, j):
                    g[i][j]["groups"].add(group_of(b, p.fairness))
                else:
                    g.add_edge(i, j, groups={group_of(b, p.fairness)})
    return g, enabled, deadlocks


def _fair_loop(g: nx.DiGraph, scc: set[int], entry: int, enabled: dict[int, frozenset],
               fairness: str | None) -> list[int]:
    """A closed walk from ``entry`` inside ``scc``, fair for the weak-fairness groups.

    Without fairness, the shortest cycle through ``entry``.  With it, a walk through
    every state of the component (so each group disabled somewhere is disabled on the
    loop) taking one edge of each group enabled everywhere.
    """
    sub = g.subgraph(scc)
    shortest: list[int] | None = None
    for n in sub.successors(entry):
        back = nx.shortest_path(sub, n, entry)
        if shortest is None or len(back) < len(shortest):
            shortest = back
    if shortest and _loop_is_fair([entry, *shortest], g, enabled, fairness):
        return shortest
    if fairness is not None and fairness.startswith("strong"):
        # every state and every edge group of the set: each group enabled on the loop is taken
        always_on = frozenset(_taken(scc, g))
        return _covering_walk(sub, scc, entry, always_on)
    if fairness is None:
        best: list[int] | None = None
        for n in sub.successors(entry):
            back = nx.shortest_path(sub, n, entry)
            if best is None or len(back) < len(best):
                best = back
        return best or []
    return _covering_walk(sub, scc, entry, frozenset.intersection(*(enabled[n] for n in scc)))


def _loop_is_fair(cycle: list[int], g: nx.DiGraph, enabled: dict[int, frozenset],
                  fairness: str | None) -> bool:
    """Does running ``cycle`` (first state repeated at the end) forever satisfy the fairness?"""
    if fairness is None:
        return True
    states = cycle[:-1]
    taken: set[str] = set()
    for a, b in zip(cycle, cycle[1:]):
        taken |= g[a][b]["groups"]
    if fairness.startswith("strong"):
        return frozenset.union(*(enabled[n] for n in states)) <= taken
    return frozenset.intersection(*(enabled[n] for n in states)) <= taken


def _covering_walk(sub: nx.DiGraph, scc: set[int], entry: int, groups: frozenset) -> list[int]:
    """A closed walk from ``entry`` through every state of ``scc`` and an edge of each group."""
    always_on = groups
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
