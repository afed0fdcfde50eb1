"""Render a trace for a person: per step, who ran which action and what changed."""

from __future__ import annotations

import json
from typing import Any

from .traces import Trace


def flatten(state: Any, prefix: str = "") -> dict[str, Any]:
    """``{"pool": {"count": 1}}`` -> ``{"pool.count": 1}``; lists index as ``pages[0]``."""
    out: dict[str, Any] = {}
    if isinstance(state, dict):
        for k, v in state.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else k))
    elif isinstance(state, list):
        for i, v in enumerate(state):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = state
    return out


def _fmt(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _call(step: Any) -> str:
    args = ", ".join(f"{k}={_fmt(v)}" for k, v in step.args.items())
    return f"{step.action}({args})"


def render_text(trace: Trace, full: bool = False) -> str:
    """The trace as text: the initial state, then each step's changes."""
    lines = [
        f"{trace.kind} property {trace.property} of model {trace.model} "
        f"(config {trace.config.get('name')}: "
        + ", ".join(f"{k}={v}" for k, v in trace.config.get("params", {}).items()) + ")",
        f"engine {trace.engine}, {trace.length} steps, model fingerprint {trace.fingerprint}",
    ]
    if trace.message:
        lines.append(trace.message)
    lines.append("")
    prev: dict[str, Any] = {}
    for i, st in enumerate(trace.steps):
        marker = "  <- loop starts here" if trace.loop_start == i else ""
        if st.action is None:
            lines.append(f"step 0  initial state{marker}")
        else:
            who = f"[{st.who}] " if st.who else ""
            lines.append(f"step {i}  {who}{_call(st)}{marker}")
        if st.error:
            lines.append(f"    !! {st.error}")
        if st.state is None:
            continue
        cur = flatten(st.state)
        if st.action is None or full:
            for k, v in cur.items():
                lines.append(f"    {k} = {_fmt(v)}")
        else:
            changed = [(k, prev.get(k), v) for k, v in cur.items() if prev.get(k) != v]
            if not changed:
                lines.append("    (no change)")
            for k, a, b in changed:
                lines.append(f"    {k}: {_fmt(a)} -> {_fmt(b)}")
        prev = cur
    return "\n".join(lines) + "\n"


def render_json(trace: Trace) -> str:
    return json.dumps(trace.to_json(), indent=1)
