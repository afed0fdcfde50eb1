"""Progress properties (``leads_to``) on the explored state graph, with networkx.

``p ~> q`` fails when some reachable p-state has a path on which q never holds: a
path into a cycle of not-q states, or into a not-q state with no successor (a
deadlock stutters forever).  No fairness is assumed: a schedule that starves an
enabled context forever counts as a counterexample.  The counterexample is a lasso
whose loop starts at ``loop_start`` (it closes up to symmetry when symmetry is on).
Needs the complete state graph in memory; an incomplete search gives *unknown*.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import networkx as nx

from ppcheck.spec.expr import Expr
from ppcheck.spec.model import LEADS_TO, System

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


def check_leads_to(explorer: Explorer, prop: int, complete: bool, reason: str) -> PropertyResult:
    sysm = explorer.system
    p = sysm.properties[prop]
    if not complete:
        return PropertyResult(p.name, LEADS_TO, UNKNOWN, f"needs the complete graph: {reason}",
                              engine="explorer")
    pre, post = _pred_for(sysm, p.pre), _pred_for(sysm, p.post)
    states = explorer.states
    index = {s: i for i, s in enumerate(states)}
    canon = explorer.compiled.namespace["canon"] if explorer.symmetry else (lambda t: t)
    g = nx.DiGraph()
    sinks: set[int] = set()
    for i, s in enumerate(states):
        if post(s):
            continue
        g.add_node(i)
        succ = [index[canon(t)] for _, t, _ in explorer.concrete.successors(s) if t is not None]
        if not succ:
            sinks.add(i)
        for j in succ:
            if not post(states[j]):
                g.add_edge(i, j)
    for comp in nx.strongly_connected_components(g):
        if len(comp) > 1 or any(g.has_edge(n, n) for n in comp):
            sinks.update(comp)
    rev = g.reverse(copy=True)
    rev.add_edges_from((-1, s) for s in sinks)
    bad = nx.descendants(rev, -1) if sinks else set()
    starts = sorted(i for i in bad if pre(states[i]))
    if not starts:
        return PropertyResult(p.name, LEADS_TO, HOLDS, "no fairness assumed", engine="explorer")
    start = starts[0]
    # stem within not-q states from start to a sink, then the loop
    target_paths = nx.single_source_shortest_path(g, start)
    sink = min((n for n in target_paths if n in sinks), key=lambda n: len(target_paths[n]))
    stem = target_paths[sink]
    loop: list[int] = []
    if sink in g and any(True for _ in g.successors(sink)):
        cyc_nodes = [n for n in g.successors(sink) if n in sinks]
        for n in cyc_nodes:
            try:
                back = nx.shortest_path(g, n, sink)
                loop = back
                break
            except nx.NetworkXNoPath:
                continue
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
               message=f"{p.name}: from step {len(concrete) - 1} q never holds ({kind})")
    explorer._emit(tr)
    return PropertyResult(p.name, LEADS_TO, VIOLATED, tr.message, explorer.trace_files.get(p.name),
                          tr.length, engine="explorer")
