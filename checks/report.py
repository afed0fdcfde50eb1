"""What every command reports: one versioned JSON shape, and the closing summary line.

Every ``ppcheck COMMAND --json`` prints one object::

    {"format": "ppcheck-result", "version": 1, "command": "check", "exit_code": 1,
     "summary": {...}, ...the command's own fields..., "timing": {...}}

described by ``ppcheck/schema/result-v1.json`` (``ppcheck schema`` prints it).  Everything
outside the objects named ``timing`` (wall-clock seconds, peak memory) is deterministic: the
same inputs give the same bytes, whatever ``PYTHONHASHSEED``.  An error under ``--json`` is
the same object with ``exit_code`` 2 and ``error``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .verdict import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VIOLATION,
    VIOLATED,
    PropertyResult,
    RunResult,
    is_failure,
)

RESULT_FORMAT = "ppcheck-result"
RESULT_VERSION = 1
#: keys holding wall-clock figures: excluded from every determinism comparison
TIMING_KEY = "timing"


@dataclass
class RunEntry:
    """A finished run, with what the report needs from its system."""

    run: RunResult
    lemmas: frozenset[str] = frozenset()
    docs: dict[str, str] = field(default_factory=dict)  # property -> docstring
    source: str | None = None  # where the model was loaded from (None: registered)
    write_error: str = ""  # why its traces could not be written to --out, if so

    @property
    def label(self) -> str:
        return f"{self.run.model}/{self.run.config}"


def is_bad(r: PropertyResult) -> bool:
    return is_failure(r)


def shortest_violation(run: RunResult, lemmas: frozenset[str] | set[str] = frozenset()
                       ) -> PropertyResult | None:
    """The violation to read first: a kernel property before a proof lemma, a violation
    before a vacuous witness, then the shortest trace."""
    bad = [r for r in run.results if is_bad(r)]
    if not bad:
        return None
    return min(bad, key=lambda r: (r.name in lemmas, r.status != VIOLATED,
                                   r.trace_length if r.trace_length is not None else 1 << 30))


def run_json(e: RunEntry) -> dict[str, Any]:
    """A run as JSON: deterministic fields, then the wall-clock ones under ``timing``."""
    d = e.run.to_json()
    timing = {"seconds": round(d.pop("seconds"), 3), "peak_memory": d.pop("peak_memory")}
    for r in d["results"]:
        r["lemma"] = r["name"] in e.lemmas
    first = shortest_violation(e.run, e.lemmas)
    d["first_violation"] = None if first is None else first.name
    d["exit_code"] = e.run.exit_code
    d["source"] = e.source
    if e.write_error:
        d["write_error"] = e.write_error
    d[TIMING_KEY] = timing
    return d


def summarize(entries: list[RunEntry], planned: int | None = None, interrupted: bool = False,
              noun: str = "runs") -> dict[str, Any]:
    """Counts and the one closing line, e.g. ``11 runs: 10 hold, 1 violated (...), 0 incomplete``."""
    hold = [e for e in entries if e.run.exit_code == EXIT_OK]
    bad = [e for e in entries if e.run.exit_code == EXIT_VIOLATION]
    inc = [e for e in entries if e.run.exit_code == EXIT_INCOMPLETE]
    first: dict[str, Any] | None = None
    for e in bad:
        v = shortest_violation(e.run, e.lemmas)
        if v is None:
            continue
        cand = {"model": e.run.model, "config": e.run.config, "property": v.name, "status": v.status,
                "steps": v.trace_length, "trace_file": v.trace_file}
        if first is None or (v.trace_length or 1 << 30) < (first["steps"] or 1 << 30):
            first = cand
    n = len(entries)
    text = f"{n} {noun if n != 1 else noun.rstrip('s')}: {len(hold)} hold, {len(bad)} violated"
    if first is not None:
        what = (f"{first['steps']} steps" if first["status"] == VIOLATED and first["steps"] is not None
                else first["status"])
        more = f"; +{len(bad) - 1} more" if len(bad) > 1 else ""
        text += f" ({first['model']}/{first['config']}: {first['property']}, {what}{more})"
    text += f", {len(inc)} incomplete"
    if interrupted:
        text += f"; interrupted (Ctrl-C) after {n} of {planned if planned is not None else '?'} {noun}"
    return {"text": text, "runs": n, "planned": planned if planned is not None else n,
            "hold": len(hold), "violated": len(bad), "incomplete": len(inc),
            "interrupted": interrupted, "first_violation": first}


def exit_code_of(entries: list[RunEntry], interrupted: bool = False, write_failed: bool = False) -> int:
    """1 if any run found a violation, else 3 if any is incomplete or the command was
    interrupted, else 2 if traces could not be written, else 0."""
    codes = [e.run.exit_code for e in entries]
    if EXIT_VIOLATION in codes:
        return EXIT_VIOLATION
    if EXIT_INCOMPLETE in codes or interrupted:
        return EXIT_INCOMPLETE
    if write_failed:
        return EXIT_USAGE
    return EXIT_OK


def envelope(command: str, exit_code: int, **payload: Any) -> dict[str, Any]:
    """The one JSON shape: format, version, command, exit_code, then the payload."""
    d: dict[str, Any] = {"format": RESULT_FORMAT, "version": RESULT_VERSION, "command": command,
                         "exit_code": exit_code}
    d.update(payload)
    return d


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=False, default=str)


def strip_timing(obj: Any) -> Any:
    """``obj`` without its ``timing`` objects (what determinism tests compare)."""
    if isinstance(obj, dict):
        return {k: strip_timing(v) for k, v in obj.items() if k != TIMING_KEY}
    if isinstance(obj, list):
        return [strip_timing(v) for v in obj]
    return obj



def schema_text() -> str:
    """The JSON Schema of the ``--json`` output (``ppcheck/schema/result-v1.json``)."""
    from importlib import resources

    return resources.files("ppcheck").joinpath("schema/result-v1.json").read_text(encoding="utf-8")
