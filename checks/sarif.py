"""``--sarif FILE``: a SARIF 2.1.0 log for code-scanning tools.

One rule per property (its docstring is the rule's help); one result per violated property
(or vacuous witness), located at the action that made it fail (its source lines); the trace
is the result's code flow, one thread flow per context (lane), each step a location at the
action's source lines with the step number as ``executionOrder``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .report import RunEntry
from .verdict import is_failure

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str) -> str:
    """A path relative to the working folder when it is inside it (what code scanning wants)."""
    try:
        return Path(os.path.relpath(path)).as_posix() if not os.path.relpath(path).startswith("..") \
            else Path(path).as_uri()
    except ValueError:
        return Path(path).as_uri()


def _actions(model_name: str, source: str | None) -> dict[str, tuple[str, int, int]]:
    """action -> (file, first line, last line) of the model's action methods."""
    from ppcheck.loading import model_for_trace, source_lines

    try:
        model = model_for_trace(model_name, source)
    except Exception:  # noqa: BLE001 - no source locations is not a reason to drop a result
        return {}
    out = {}
    for d in model.action_defs():
        loc = source_lines(d.fn)
        if loc is not None:
            out[d.name] = loc
    return out


def _location(loc: tuple[str, int, int] | None, text: str) -> dict[str, Any]:
    d: dict[str, Any] = {"message": {"text": text}}
    if loc is not None:
        d["physicalLocation"] = {"artifactLocation": {"uri": _uri(loc[0])},
                                 "region": {"startLine": loc[1], "endLine": loc[2]}}
    return d


def sarif_log(entries: list[RunEntry]) -> str:
    from .story import build_story
    from .traces import load_trace

    rules: dict[str, dict[str, Any]] = {}
    results = []
    for e in entries:
        run = e.run
        acts: dict[str, tuple[str, int, int]] | None = None
        for r in run.results:
            rid = f"{run.model}/{r.name}"
            if rid not in rules:
                doc = " ".join((e.docs.get(r.name) or r.name).split())
                rules[rid] = {"id": rid, "name": r.name, "shortDescription": {"text": doc[:200]},
                              "fullDescription": {"text": doc},
                              "properties": {"kind": r.kind, "lemma": r.name in e.lemmas}}
            if not is_failure(r):
                continue
            if acts is None:
                acts = _actions(run.model, e.source)
            res: dict[str, Any] = {
                "ruleId": rid, "level": "error",
                "message": {"text": f"{r.name} {r.status} in {run.model}/{run.config}: {r.detail}"
                                    + (f" ({r.trace_length} steps; trace {r.trace_file})"
                                       if r.trace_file else "")},
                "properties": {"model": run.model, "config": run.config, "engine": run.engine,
                               "trace_file": r.trace_file, "steps": r.trace_length}}
            tr = None
            if r.trace_file:
                try:
                    tr = load_trace(r.trace_file)
                except Exception:  # noqa: BLE001
                    tr = None
            if tr is not None and len(tr.steps) > 1:
                st = build_story(tr)
                flows: dict[str, list[dict[str, Any]]] = {}
                for s in st.steps:
                    loc = _location(acts.get(s.action), f"{s.index}. {s.lane}: {s.call}"
                                    + (f" -- {s.doc}" if s.doc else ""))
                    flows.setdefault(s.lane, []).append(
                        {"location": loc, "executionOrder": s.index,
                         "state": {c.field: {"text": f"{c.before} -> {c.after}"} for c in s.changes[:20]}})
                res["codeFlows"] = [{"message": {"text": tr.message},
                                     "threadFlows": [{"id": lane, "locations": locs}
                                                     for lane, locs in flows.items()]}]
                last = acts.get(tr.steps[-1].action or "")
                res["locations"] = [_location(last, f"the step that breaks {r.name}")]
            else:
                res["locations"] = [_location(None, r.detail)]
            results.append(res)
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "ppcheck",
                                         "rules": list(rules.values())}},
                     "results": results}]}
    return json.dumps(log, indent=1, ensure_ascii=False) + "\n"
