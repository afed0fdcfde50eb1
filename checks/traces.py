"""The counterexample trace format: versioned JSON, replayable, one file per finding.

A trace names the model, its fingerprint, the configuration, the engine and the
property; each step records who ran which action with which arguments and the full
resulting state.  Step 0 is the initial state (no action).  A trace of an action
assertion (a kernel WARN) or of a value leaving its domain ends with the failing
step; a ``leads_to`` counterexample is a lasso whose loop starts at ``loop_start``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ppcheck.spec.expr import SpecError

TRACE_FORMAT = "ppcheck-trace"
TRACE_VERSION = 1


class TraceError(SpecError):
    """A trace file that is malformed, stale, or does not replay."""


@dataclass
class Step:
    action: str | None  # None for the initial state
    args: dict[str, Any]
    who: str
    state: dict | None  # None when the step fails before producing a state
    error: str | None = None  # the assertion/domain message of a failing step

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"action": self.action, "args": self.args, "who": self.who,
                             "state": self.state}
        if self.error:
            d["error"] = self.error
        return d


@dataclass
class Trace:
    model: str
    fingerprint: str
    config: dict[str, Any]
    engine: str
    property: str
    kind: str
    steps: list[Step] = field(default_factory=list)
    loop_start: int | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": TRACE_FORMAT, "version": TRACE_VERSION,
            "model": self.model, "fingerprint": self.fingerprint, "config": self.config,
            "engine": self.engine, "property": self.property, "kind": self.kind,
            "message": self.message, "loop_start": self.loop_start,
            "steps": [s.to_json() for s in self.steps],
        }

    @property
    def length(self) -> int:
        return len(self.steps) - 1


def default_name(model: str, config: str, prop: str) -> str:
    return f"{model}-{config}-{prop}.json".replace("/", "_")


def write_trace(trace: Trace, path: str | Path) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a trace."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    with open(tmp, "w") as fh:
        json.dump(trace.to_json(), fh, indent=1)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, p)
    return p


def _need(d: dict, k: str, typ: Any, where: str) -> Any:
    if k not in d:
        raise TraceError(f"{where}: missing field {k!r}")
    v = d[k]
    if typ is not None and not isinstance(v, typ):
        raise TraceError(f"{where}: field {k!r} should be {typ.__name__ if isinstance(typ, type) else typ}")
    return v


def parse_trace(obj: Any, where: str = "trace") -> Trace:
    if not isinstance(obj, dict):
        raise TraceError(f"{where}: not a JSON object")
    if obj.get("format") != TRACE_FORMAT:
        raise TraceError(f"{where}: not a ppcheck trace (format is {obj.get('format')!r})")
    ver = obj.get("version")
    if ver != TRACE_VERSION:
        raise TraceError(f"{where}: trace format version {ver!r} is not supported (expected {TRACE_VERSION})")
    steps_raw = _need(obj, "steps", list, where)
    if not steps_raw:
        raise TraceError(f"{where}: a trace needs at least the initial state")
    steps = []
    for i, s in enumerate(steps_raw):
        w = f"{where}: step {i}"
        if not isinstance(s, dict):
            raise TraceError(f"{w}: not an object")
        action = s.get("action")
        if i == 0 and action is not None:
            raise TraceError(f"{w}: the first step must be the initial state (action null)")
        if i > 0 and not isinstance(action, str):
            raise TraceError(f"{w}: missing action name")
        args = s.get("args", {})
        if not isinstance(args, dict):
            raise TraceError(f"{w}: args must be an object")
        state = s.get("state")
        if state is not None and not isinstance(state, dict):
            raise TraceError(f"{w}: state must be an object")
        if state is None and (i == 0 or not s.get("error")):
            raise TraceError(f"{w}: missing state")
        steps.append(Step(action, args, str(s.get("who", "")), state, s.get("error")))
    loop = obj.get("loop_start")
    if loop is not None and (not isinstance(loop, int) or not 0 <= loop < len(steps)):
        raise TraceError(f"{where}: loop_start {loop!r} is not a step index")
    return Trace(
        model=_need(obj, "model", str, where), fingerprint=_need(obj, "fingerprint", str, where),
        config=_need(obj, "config", dict, where), engine=str(obj.get("engine", "")),
        property=_need(obj, "property", str, where), kind=str(obj.get("kind", "")),
        steps=steps, loop_start=loop, message=str(obj.get("message", "")))


def load_trace(path: str | Path) -> Trace:
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as e:
        raise TraceError(f"cannot read trace {p}: {e.strerror or e}") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise TraceError(f"{p}: malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    return parse_trace(obj, str(p))
