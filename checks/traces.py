"""The counterexample trace format: versioned JSON, replayable, one file per finding.

A trace names the model, its fingerprint, the configuration, the engine and the
property; each step records who ran which action with which arguments and the full
resulting state.  Step 0 is the initial state (no action).  A trace of an action
assertion (a kernel WARN) or of a value leaving its domain ends with the failing
step; a ``leads_to`` counterexample is a lasso whose loop starts at ``loop_start``.

A model that is not registered by name (loaded from a file or a module, see
:mod:`ppcheck.loading`) is recorded with its ``source`` (``/abs/path/patch.py:Class`` or
``package.module:Class``) so that ``replay`` and ``show`` can load it again.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ppcheck.spec.expr import SpecError

TRACE_FORMAT = "ppcheck-trace"
TRACE_VERSION = 1
TRACE_KINDS = ("always", "sometimes", "transition", "leads_to")

#: model name -> where it was loaded from (models outside the registry), filled by the loader
_SOURCES: dict[str, str] = {}
#: model name -> the class itself, for the same models
_CLASSES: dict[str, type] = {}


def register_model_source(name: str, source: str, model: type | None = None) -> None:
    """Remember that model ``name`` was loaded from ``source`` (written into its traces)."""
    _SOURCES[name] = source
    if model is not None:
        _CLASSES[name] = model


def model_source(name: str) -> str | None:
    """Where model ``name`` was loaded from, or None for a registered model."""
    return _SOURCES.get(name)


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
    source: str | None = None  # where a model outside the registry was loaded from

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "format": TRACE_FORMAT, "version": TRACE_VERSION,
            "model": self.model, "fingerprint": self.fingerprint, "config": self.config,
            "engine": self.engine, "property": self.property, "kind": self.kind,
            "message": self.message, "loop_start": self.loop_start,
        }
        source = self.source or model_source(self.model)
        if source:
            d["source"] = source
        d["steps"] = [s.to_json() for s in self.steps]
        return d

    @property
    def length(self) -> int:
        return len(self.steps) - 1


def default_name(model: str, config: str, prop: str) -> str:
    return f"{model}-{config}-{prop}.json".replace("/", "_")


def write_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically: a temp file in the same folder, fsync'd, then
    renamed (and the folder fsync'd), so a crash or SIGKILL leaves the old file or the whole
    new one, never half of it; on failure the temp file is removed."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    try:
        fd = os.open(p.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # pragma: no cover - some file systems do not fsync folders
        pass
    return p


def trace_text(trace: Trace) -> str:
    """The trace file's exact text (deterministic: same trace, same bytes)."""
    return json.dumps(trace.to_json(), indent=1, ensure_ascii=False) + "\n"


def write_trace(trace: Trace, path: str | Path) -> Path:
    """Write atomically (see :func:`write_atomic`) so a crash never leaves half a trace."""
    return write_atomic(path, trace_text(trace))


def _tname(typ: Any) -> str:
    names = {str: "a string", dict: "an object", list: "a list", int: "an integer"}
    return names.get(typ, getattr(typ, "__name__", str(typ)))


def _need(d: dict, k: str, typ: Any, where: str) -> Any:
    if k not in d:
        raise TraceError(f"{where}: missing field {k!r}")
    v = d[k]
    if typ is not None and (not isinstance(v, typ) or isinstance(v, bool) and typ is not bool):
        raise TraceError(f"{where}: field {k!r} should be {_tname(typ)}")
    return v


def _opt(d: dict, k: str, typ: Any, where: str, default: Any) -> Any:
    """An optional field: absent or null gives ``default``; present, it must have the type."""
    if d.get(k) is None:
        return default
    return _need(d, k, typ, where)


def parse_trace(obj: Any, where: str = "trace") -> Trace:
    if not isinstance(obj, dict):
        raise TraceError(f"{where}: not a JSON object")
    if obj.get("format") != TRACE_FORMAT:
        raise TraceError(f"{where}: not a ppcheck trace (format is {obj.get('format')!r})")
    ver = obj.get("version")
    if type(ver) is not int or ver != TRACE_VERSION:
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
        if i > 0 and (not isinstance(action, str) or not action):
            raise TraceError(f"{w}: missing action name")
        args = _opt(s, "args", dict, w, {})
        if i == 0 and (args or s.get("who")):
            raise TraceError(f"{w}: the initial state has no action, so no args or who")
        state = s.get("state")
        if state is not None and not isinstance(state, dict):
            raise TraceError(f"{w}: state must be an object")
        error = _opt(s, "error", str, w, None)
        if state is None and (i == 0 or not error):
            raise TraceError(f"{w}: missing state")
        if error and i != len(steps_raw) - 1:
            raise TraceError(f"{w}: only the last step may fail (it has an error)")
        steps.append(Step(action, args, _opt(s, "who", str, w, ""), state, error))
    loop = obj.get("loop_start")
    if loop is not None and (not isinstance(loop, int) or isinstance(loop, bool)
                             or not 0 <= loop < len(steps)):
        raise TraceError(f"{where}: loop_start {loop!r} is not a step index")
    config = _need(obj, "config", dict, where)
    if not isinstance(config.get("name"), str) or not isinstance(config.get("params"), dict):
        raise TraceError(f"{where}: field 'config' should be an object with 'name' and 'params'")
    kind = _opt(obj, "kind", str, where, "")
    if kind and kind not in TRACE_KINDS:
        raise TraceError(f"{where}: kind {kind!r} is not one of {', '.join(TRACE_KINDS)}")
    if loop is not None and kind and kind != "leads_to":
        raise TraceError(f"{where}: loop_start is only for leads_to traces (this one is {kind})")
    source = _opt(obj, "source", str, where, None)
    return Trace(
        model=_need(obj, "model", str, where), fingerprint=_need(obj, "fingerprint", str, where),
        config=config, engine=_opt(obj, "engine", str, where, ""),
        property=_need(obj, "property", str, where), kind=kind,
        steps=steps, loop_start=loop, message=_opt(obj, "message", str, where, ""),
        source=source)


def load_trace(path: str | Path) -> Trace:
    p = Path(path)
    try:
        if p.is_dir():  # is_dir() raises for a name the OS refuses (ENAMETOOLONG)
            raise TraceError(f"cannot read trace {p}: it is a directory")
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TraceError(f"{p}: not a text file (not UTF-8)") from None
    except OSError as e:
        raise TraceError(f"cannot read trace {p}: {e.strerror or e}") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise TraceError(f"{p}: malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    return parse_trace(obj, str(p))
