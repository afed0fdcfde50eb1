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


def _changes(trace: Trace) -> list[list[tuple[str, Any, Any]]]:
    """Per step, the (field, before, after) triples (all fields for step 0)."""
    out: list[list[tuple[str, Any, Any]]] = []
    prev: dict[str, Any] = {}
    for st in trace.steps:
        cur = flatten(st.state) if st.state is not None else prev
        out.append([(k, prev.get(k), v) for k, v in cur.items() if st.action is None or prev.get(k) != v])
        prev = cur
    return out


def render_mermaid(trace: Trace) -> str:
    """A Mermaid sequence diagram: one lane per context, the pool state as a lane."""
    who = []
    for st in trace.steps[1:]:
        w = st.who or "model"
        if w not in who:
            who.append(w)
    alias = {w: f"c{i}" for i, w in enumerate(who)}
    lines = ["sequenceDiagram", "    participant S as state"]
    lines += [f"    participant {alias[w]} as {w}" for w in who]
    changes = _changes(trace)
    for i, st in enumerate(trace.steps[1:], start=1):
        a = alias[st.who or "model"]
        if trace.loop_start is not None and i == trace.loop_start + 1:
            lines.append("    Note over S: loop starts")
        lines.append(f"    {a}->>S: {i}. {_call(st)}")
        ch = changes[i]
        text = "<br/>".join(f"{k}: {_fmt(x)} → {_fmt(y)}" for k, x, y in ch[:8])
        if len(ch) > 8:
            text += f"<br/>(+{len(ch) - 8} more)"
        if st.error:
            text = f"!! {st.error}" + ("<br/>" + text if text else "")
        if text:
            lines.append(f"    Note right of S: {text}")
    lines.append(f"    Note over S: {trace.property} ({trace.kind}): {trace.message or 'end of trace'}")
    return "\n".join(lines) + "\n"


def render_html(trace: Trace) -> str:
    """A self-contained HTML page: one row per step, changed fields highlighted."""
    import html

    changes = _changes(trace)
    rows = []
    for i, st in enumerate(trace.steps):
        call = "initial state" if st.action is None else _call(st)
        ch = "".join(
            f"<li><code>{html.escape(k)}</code>: {html.escape(_fmt(x)) if st.action else ''}"
            f"{' &rarr; ' if st.action else '= '}<b>{html.escape(_fmt(y))}</b></li>"
            for k, x, y in changes[i])
        err = f"<div class=err>{html.escape(st.error)}</div>" if st.error else ""
        loop = " class=loop" if trace.loop_start == i else ""
        rows.append(f"<tr{loop}><td>{i}</td><td>{html.escape(st.who)}</td>"
                    f"<td><code>{html.escape(call)}</code>{err}</td><td><ul>{ch}</ul></td></tr>")
    cfg = ", ".join(f"{k}={v}" for k, v in trace.config.get("params", {}).items())
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(trace.model)}: {html.escape(trace.property)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }}
tr.loop td {{ border-top: 3px solid #c60; }}
ul {{ margin: 0; padding-left: 1.2em; }}
.err {{ color: #b00; font-weight: bold; }}
</style></head><body>
<h1>{html.escape(trace.property)} <small>({html.escape(trace.kind)})</small></h1>
<p>Model <b>{html.escape(trace.model)}</b>, configuration {html.escape(str(trace.config.get('name')))}
({html.escape(cfg)}), engine {html.escape(trace.engine)}, {trace.length} steps,
fingerprint <code>{html.escape(trace.fingerprint)}</code>.</p>
<p>{html.escape(trace.message)}</p>
<table><tr><th>step</th><th>who</th><th>action</th><th>changes</th></tr>
{''.join(rows)}
</table></body></html>
"""
