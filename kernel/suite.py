"""The conformance suite: every scenario explored on a tree's compiled page_pool.c.

One :class:`~ppcheck.checks.verdict.RunResult` per scenario (model ``kernel-<version>``,
configuration = scenario), with a verdict per property in the form ``ppcheck check``
prints: ``holds`` after a complete search, ``violated`` with a trace written to the
trace directory, ``unknown`` when a budget cut the search short, and the scenario's
witnesses ``reached`` or ``vacuous``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ppcheck.checks.explorer import peak_rss
from ppcheck.checks.verdict import HOLDS, REACHED, UNKNOWN, VACUOUS, VIOLATED, PropertyResult, RunResult

from .build import Build, build
from .checks import PROPS
from .driver import Kernel
from .explore import SearchResult, SpecHook, Violation, exhaustive, random_search
from .scenarios import FINDINGS, SCENARIOS
from .tree import Tree
from .world import Scenario

TRACE_FORMAT = "ppcheck-kernel-trace"
#: the end-of-run check reports as a progress property (the spec's destroy_completes is one)
KIND_OF = {"final": "leads_to"}


def trace_json(tree: Tree, sc: Scenario, v: Violation, log: list[str]) -> dict[str, Any]:
    """A kernel counterexample: the schedule (context per step) and what each step did."""
    return {
        "format": TRACE_FORMAT, "version": 1, "tree": tree.name, "kver": tree.kver,
        "scenario": sc.name, "property": v.prop, "detail": v.detail, "schedule": v.schedule,
        "contexts": [c.name for c in sc.contexts],
        "steps": [{"ctx": sc.contexts[s.ctx].name, "call": s.instr, "at": s.at} for s in v.steps],
        "log": log,
    }


def write_trace(out_dir: str, tree: Tree, sc: Scenario, v: Violation, log: list[str],
                tag: str = "") -> str:
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    name = f"kernel-{tree.name}{tag}-{sc.name}-{v.prop}.json"
    path = os.path.join(out_dir, name)
    tmp = path + ".tmp"
    Path(tmp).write_text(json.dumps(trace_json(tree, sc, v, log), indent=1) + "\n")
    os.replace(tmp, path)
    return path


def to_run(tree: Tree, sc: Scenario, res: SearchResult, trace_files: dict[str, str],
           model: str | None = None) -> RunResult:
    """The search as a verdict table (always/final properties, then the witnesses)."""
    run = RunResult(model=model or f"kernel-{tree.name}", config=sc.name, engine=f"kernel {res.mode}",
                    complete=res.complete, reason=res.reason, states=res.states, transitions=res.steps,
                    depth=res.max_depth, seconds=res.seconds, peak_memory=peak_rss(),
                    params={"tree": tree.origin, "pages": sc.npages, "contexts": len(sc.contexts),
                            "rt": sc.rt})
    for p in PROPS.values():
        if p.kind == "sometimes":
            continue
        v = res.violations.get(p.name)
        if v is not None:
            run.results.append(PropertyResult(p.name, KIND_OF.get(p.kind, p.kind), VIOLATED, v.detail,
                                              trace_files.get(p.name), len(v.schedule), run.engine))
        else:
            status = HOLDS if res.complete else UNKNOWN
            run.results.append(PropertyResult(p.name, KIND_OF.get(p.kind, p.kind), status, "", None, None,
                                              run.engine))
    for name, v in res.violations.items():
        if name not in PROPS:  # e.g. a replay that could not follow its schedule
            run.results.append(PropertyResult(name, "always", VIOLATED, v.detail, trace_files.get(name),
                                              len(v.schedule), run.engine))
    for w in sc.witnesses:
        ok = w in res.reached
        status = REACHED if ok else (VACUOUS if res.complete else UNKNOWN)
        run.results.append(PropertyResult(w, "sometimes", status, "", None, None, run.engine))
    return run


def scenarios_for(tree: Tree, findings: bool = False, only: tuple[str, ...] = ()) -> list[Scenario]:
    pool = FINDINGS if findings else SCENARIOS
    out = [s for s in pool if s.applies(tree.kver)]
    if only:
        out = [s for s in (*SCENARIOS, *FINDINGS) if s.name in only and s.applies(tree.kver)]
    return out


def explore_scenario(b: Build, sc: Scenario, mode: str, max_states: int, runs: int, seed: int,
                     timeout: float | None, spec: SpecHook | None) -> SearchResult:
    k = Kernel(b)
    if mode == "random":
        return random_search(k, sc, runs, seed=seed, spec=spec, timeout=timeout)
    return exhaustive(k, sc, max_states=max_states, spec=spec, timeout=timeout)


def run_suite(tree: Tree, out_dir: str, mode: str = "exhaustive", max_states: int = 20000,
              runs: int = 200, seed: int = 0, timeout: float | None = None, findings: bool = False,
              only: tuple[str, ...] = (), patch: str | None = None, tag: str = "",
              spec_for: Callable[[Scenario], SpecHook | None] | None = None,
              on_run: Callable[[RunResult], None] | None = None) -> list[RunResult]:
    """Explore every scenario of ``tree`` (built with ``patch`` when given)."""
    out = []
    for sc in scenarios_for(tree, findings, only):
        b = build(tree, rt=sc.rt, patch=patch, fine=sc.fine)
        spec = spec_for(sc) if spec_for else None
        res = explore_scenario(b, sc, mode, max_states, runs, seed, timeout, spec)
        files = {}
        for name, v in res.violations.items():
            files[name] = write_trace(out_dir, tree, sc, v, _log_of(b, sc, v), tag)
        run = to_run(tree, sc, res, files, model=f"kernel-{tree.name}{tag}")
        out.append(run)
        if on_run:
            on_run(run)
    return out


def _log_of(b: Build, sc: Scenario, v: Violation) -> list[str]:
    """The harness log at the end of the violating schedule (re-run to get it)."""
    from .explore import SearchResult, run_schedule

    k = Kernel(b)
    run_schedule(k, sc, v.schedule, None, SearchResult(sc.name, "replay"))
    return k.log()


class KernelTraceError(ValueError):
    """A file that is not a readable kernel trace (exit 2)."""


def load_kernel_trace(path: str) -> dict[str, Any]:
    try:
        d = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise KernelTraceError(f"{path}: not a readable trace ({e})") from None
    if not isinstance(d, dict) or d.get("format") != TRACE_FORMAT:
        raise KernelTraceError(f"{path}: not a kernel trace (format {TRACE_FORMAT!r}); spec traces are "
                               "replayed on the kernel through their scenario (docs/kernel.md)")
    if not isinstance(d.get("schedule"), list) or not all(isinstance(c, int) for c in d["schedule"]):
        raise KernelTraceError(f"{path}: malformed schedule")
    return d


def replay_on_kernel(tree: Tree, trace: dict[str, Any], patch: str | None = None,
                     spec: bool = True) -> tuple[bool, str]:
    """Run a kernel trace's schedule on ``tree``'s page_pool.c: (reproduced, what happened).

    Reproduced means the same property fails at the end of the same schedule."""
    from .explore import SearchResult, run_schedule
    from .scenarios import by_name
    from .spec_map import spec_hook_for

    try:
        sc = by_name(str(trace.get("scenario")))
    except KeyError:
        raise KernelTraceError(f"the trace's scenario {trace.get('scenario')!r} does not exist") from None
    if not sc.applies(tree.kver):
        return False, f"scenario {sc.name} does not apply to linux {tree.name}"
    b = build(tree, rt=sc.rt, patch=patch, fine=sc.fine)
    res = SearchResult(sc.name, "replay")
    failed: dict[str, str] = {}
    v = run_schedule(Kernel(b), sc, list(trace["schedule"]), None, res,
                     spec_hook_for(sc, tree) if spec else None, collect=failed)
    want = str(trace.get("property"))
    n = len(trace["schedule"])
    if v is not None and v.prop == "replay":
        return False, f"does not replay on linux {tree.name}: {v.detail}"
    if want in failed:
        others = sorted(set(failed) - {want})
        also = f"; also {', '.join(others)}" if others else ""
        return True, f"reproduces on linux {tree.name}: {want} within {n} steps ({failed[want]}){also}"
    if failed:
        return False, f"linux {tree.name} fails {', '.join(sorted(failed))} but not {want}"
    return False, f"does not reproduce on linux {tree.name}: the {n} steps end with every property " \
                  f"holding (the trace shows {want})"
