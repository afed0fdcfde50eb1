"""Random simulation: walks from the initial state, choosing enabled actions at random.

For configurations too large to explore: it finds violations (the trace is real and
replayable, but not necessarily shortest) and witnesses, and never proves anything:
a property it did not see violated is reported *unknown*.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from ppcheck.spec.model import ALWAYS, SOMETIMES, TRANSITION, System

from .explorer import Concrete, peak_rss
from .traces import Trace, default_name, write_trace
from .verdict import ACTION_ASSERTIONS, REACHED, UNKNOWN, VIOLATED, PropertyResult, RunResult

ENGINE = "simulation"


def _file(system: System, prop: str) -> str:
    """Simulation traces are not shortest: they never overwrite the explorer's."""
    return default_name(system.name, system.config.name, prop).replace(".json", "-simulation.json")


def simulate(system: System, *, walks: int = 1000, steps: int = 200, seed: int = 0,
             timeout: float | None = None, out_dir: str | Path | None = None) -> RunResult:
    rnd = random.Random(seed)
    conc = Concrete(system)
    t0 = time.perf_counter()
    props = list(enumerate(system.properties))
    found: dict[str, tuple[str, Trace]] = {}
    seen: set[int] = set()
    transitions = 0
    cov = {b.action: 0 for b in system.bindings}
    reason = f"simulation of {walks} walks of up to {steps} steps (seed {seed}) proves nothing"

    def trace_of(path: list, name: str, kind: str, msg: str) -> Trace:
        recs = [conc.step_record(b, s, err) for b, s, err in path]
        return Trace(system.name, system.fingerprint, system.config.to_json(), ENGINE, name, kind,
                     recs, message=msg)

    def record(name: str, status: str, tr: Trace) -> None:
        if name in found:
            return
        found[name] = (status, tr)
        if out_dir is not None and status == VIOLATED:
            write_trace(tr, Path(out_dir) / _file(system, name))

    for done_walks in range(walks):
        if timeout is not None and time.perf_counter() - t0 > timeout:
            reason = f"time budget of {timeout:g}s reached after {done_walks} walks"
            break
        s = rnd.choice(system.init_states)
        path: list = [(None, s, None)]
        for _ in range(steps + 1):
            seen.add(s)
            for k, p in props:
                if p.kind == ALWAYS and p.name not in found and not conc.holds(k, s):
                    record(p.name, VIOLATED, trace_of(path, p.name, ALWAYS, f"{p.name} is false"))
                elif p.kind == SOMETIMES and p.name not in found and conc.holds(k, s):
                    record(p.name, REACHED, trace_of(path, p.name, SOMETIMES, f"{p.name} reached"))
            if len(path) > steps:
                break
            succ = conc.successors(s)
            if not succ:
                break
            b, t, err = rnd.choice(succ)
            transitions += 1
            cov[b.action] += 1
            if err is not None:
                msg = f"{err[0]}: {err[1]}"
                record(ACTION_ASSERTIONS, VIOLATED,
                       trace_of(path + [(b, t, msg)], ACTION_ASSERTIONS, ALWAYS, f"{b.action}: {msg}"))
                break
            for k, p in props:
                if p.kind == TRANSITION and p.name not in found and not conc.holds(k, s, t):
                    record(p.name, VIOLATED, trace_of(path + [(b, t, None)], p.name, TRANSITION,
                                                      f"{b.action} breaks {p.name}"))
            path.append((b, t, None))
            s = t

    results = []
    for name, kind in [(ACTION_ASSERTIONS, ALWAYS)] + [(p.name, p.kind) for p in system.properties]:
        if name in found:
            status, tr = found[name]
            f = str(Path(out_dir) / _file(system, name)) \
                if out_dir is not None and status == VIOLATED else None
            results.append(PropertyResult(name, kind, status, tr.message, f, tr.length, engine=ENGINE))
        else:
            results.append(PropertyResult(name, kind, UNKNOWN, reason, engine=ENGINE))
    return RunResult(model=system.name, config=system.config.name, engine=ENGINE, complete=False,
                     reason=reason, states=len(seen), transitions=transitions, depth=steps,
                     seconds=time.perf_counter() - t0, peak_memory=peak_rss(), symmetry=False,
                     bound=f"walks={walks}, steps={steps}, seed={seed}", fingerprint=system.fingerprint,
                     results=results, coverage=cov, params=dict(system.config.params))
