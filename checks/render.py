"""Render a trace for a person: text, JSON, a Mermaid sequence diagram, an HTML page.

All of them draw the same :class:`checks.story.Story`: a lane per context (labelled by the
model's ``context_lanes`` hook, grouped by CPU), a lane per page (``object_lanes``), the
initial state folded, each step as the kernel function that ran and only what it changed,
and the last step with the property's docstring, the false sub-formula and the record that
makes it false.
"""

from __future__ import annotations

import html
import json
from typing import Any

from .story import Story, build_story, flatten, fmt
from .traces import Trace

__all__ = ["flatten", "render_html", "render_json", "render_mermaid", "render_text"]

#: the initial state is printed in full when it has at most this many fields
SMALL_STATE = 12


def _story(trace: Trace, story: Story | None) -> Story:
    return story if story is not None else build_story(trace)


def _header(trace: Trace) -> list[str]:
    cfg = ", ".join(f"{k}={v}" for k, v in trace.config.get("params", {}).items())
    lines = [f"{trace.kind} property {trace.property} of model {trace.model} "
             f"(config {trace.config.get('name')}: {cfg})",
             f"engine {trace.engine}, {trace.length} steps, model fingerprint {trace.fingerprint}"]
    if trace.source:
        lines.append(f"model loaded from {trace.source}")
    if trace.message:
        lines.append(trace.message)
    return lines


def _failure_lines(st: Story, indent: str = "    ") -> list[str]:
    f = st.failure
    if f is None:
        return []
    out = []
    if f.doc:
        out.append(f"{indent}why it matters: " + " ".join(f.doc.split()))
    for b in f.because:
        out.append(f"{indent}given: {b}")
    if f.conjunct and f.conjunct != f.atom and not f.because:
        out.append(f"{indent}false: {f.conjunct}")
    if f.atom:
        out.append(f"{indent}false here: {f.atom}" if f.conjunct != f.atom else f"{indent}false: {f.atom}")
    if f.values:
        out.append(f"{indent}with " + ", ".join(f"{k} = {fmt(v)}" for k, v in f.values.items()))
    if f.step is not None:
        out.append(f"{indent}made false at step {f.step} by {f.step_text}")
    if f.records:
        out.append(f"{indent}records: " + "; ".join(
            r["label"] + (f" ({r['key']})" if r["label"] != r["key"] else "") for r in f.records))
    return out


def render_text(trace: Trace, full: bool = False, story: Story | None = None) -> str:
    """The trace as text: lanes, the (folded) initial state, then each step's changes."""
    st = _story(trace, story)
    lines = _header(trace)
    named = [ln for ln in st.lanes if ln.label != ln.key and ln.key in {s.who for s in st.steps}]
    if named:
        lines.append("contexts: " + "; ".join(f"{ln.label} = {ln.key}" for ln in named))
    lines.append("")
    init = st.initial
    marker = "  <- loop starts here" if trace.loop_start == 0 else ""
    if full or len(init) <= SMALL_STATE:
        lines.append(f"step 0  initial state{marker}")
        lines += [f"    {k} = {fmt(v)}" for k, v in init.items()]
    else:
        lines.append(f"step 0  initial state ({len(init)} fields; --full prints them){marker}")
        for ln in st.objects:
            lines.append(f"    {ln.label}: {st.initial_objects.get(ln.key, '')}")
    for s in st.steps:
        mark = "  <- loop starts here" if s.loop_start else ""
        who = f"[{s.lane}] " if s.who else ""
        lines.append(f"step {s.index}  {who}{s.call}{mark}")
        if s.doc:
            lines.append(f"    -- {s.doc}")
        if s.error:
            lines.append(f"    !! {s.error}")
        tr_step = trace.steps[s.index]
        if tr_step.state is None:
            continue
        if full:
            cur = flatten(tr_step.state)
            lines += [f"    {k} = {fmt(v)}" for k, v in cur.items()]
            continue
        if not s.changes:
            lines.append("    (no change)")
        for c in s.changes:
            lines.append(f"    {c.text()}")
    if st.failure is not None and (st.failure.doc or st.failure.atom):
        lines.append("")
        lines.append(f"{trace.property} is violated:" if trace.kind != "sometimes"
                     else f"{trace.property} is reached:")
        lines += _failure_lines(st)
    if st.note:
        lines.append("")
        lines.append(f"note: {st.note}")
    return "\n".join(lines) + "\n"


def render_json(trace: Trace) -> str:
    return json.dumps(trace.to_json(), indent=1, ensure_ascii=False)


# -- Mermaid ---------------------------------------------------------------------------------

def _mm(text: str) -> str:
    """Text safe inside a Mermaid message or note (no ``;``/``#`` surprises)."""
    return text.replace(";", ",").replace("#", "").replace("\n", " ")


def render_mermaid(trace: Trace, story: Story | None = None) -> str:
    """A Mermaid sequence diagram: a lane per context (boxed by CPU), the shared state, a lane
    per page; each step is an arrow from its context, the page changes are notes on the pages."""
    st = _story(trace, story)
    used = {s.who for s in st.steps}
    alias: dict[str, str] = {}
    lines = ["sequenceDiagram"]
    for group, lanes in st.groups():
        lanes = [ln for ln in lanes if ln.key in used]
        if not lanes:
            continue
        if group:
            lines.append(f"    box {_mm(group)}")
        for ln in lanes:
            alias[ln.key] = f"c{len(alias)}"
            lines.append(f"    {'  ' if group else ''}participant {alias[ln.key]} as {_mm(ln.label)}")
        if group:
            lines.append("    end")
    lines.append("    participant S as state")
    pages = {}
    for i, ln in enumerate(st.objects):
        pages[ln.key] = f"p{i}"
        lines.append(f"    participant p{i} as {_mm(ln.label)}")
    if st.objects:
        first = st.objects[0].key
        init = "<br/>".join(f"{ln.label}: {st.initial_objects.get(ln.key, '')}" for ln in st.objects)
        lines.append(f"    Note over {pages[first]}: initial: {_mm(init)}")
    for s in st.steps:
        a = alias.get(s.who, "S")
        if s.loop_start:
            lines.append("    Note over S: loop starts")
        lines.append(f"    {a}->>S: {s.index}. {_mm(s.call)}")
        shared = s.by_lane.get("", []) + [c for k, cs in s.by_lane.items() if k in alias for c in cs]
        text = "<br/>".join(_mm(f"{c.field}: {fmt(c.before)} → {fmt(c.after)}") for c in shared[:8])
        if len(shared) > 8:
            text += f"<br/>(+{len(shared) - 8} more)"
        if s.error:
            text = f"!! {_mm(s.error)}" + ("<br/>" + text if text else "")
        if text:
            lines.append(f"    Note right of S: {text}")
        for key, p in pages.items():
            if s.by_lane.get(key):
                lines.append(f"    Note over {p}: {_mm(s.objects.get(key, ''))}")
    end = f"{trace.property} ({trace.kind}): {trace.message or 'end of trace'}"
    f = st.failure
    if f is not None and f.atom:
        end += f"<br/>false: {f.atom}"
        if f.records:
            end += "<br/>made false by " + ", ".join(r["label"] for r in f.records[:3])
    lines.append(f"    Note over S: {_mm(end)}")
    return "\n".join(lines) + "\n"


# -- HTML ------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.35em; margin-bottom: .2em; }
.meta { color: #555; margin-top: 0; }
.doc { background: #f4f6fa; border-left: 4px solid #5a7bd8; padding: .5em 1em; max-width: 70em; }
table.lanes { border-collapse: collapse; font-size: 13px; }
table.lanes td, table.lanes th { border: 1px solid #d0d4dc; padding: 3px 6px; vertical-align: top;
  text-align: left; }
table.lanes th.group { background: #e8ecf4; text-align: center; }
table.lanes th.lane { background: #f4f6fa; cursor: pointer; }
td.act { background: #fff8e0; }
td.act b { font-family: ui-monospace, monospace; }
td.act .doc1 { color: #666; font-size: 11px; max-width: 22em; }
td.obj { font-family: ui-monospace, monospace; white-space: nowrap; color: #777; }
td.obj.changed { color: #000; background: #eef7ee; font-weight: 600; }
td.failing, td.obj.failing { background: #ffd9d9 !important; outline: 2px solid #c00; }
tr.loop td { border-top: 3px solid #c60; }
tr.last td.step { background: #ffd9d9; }
.chg { font-family: ui-monospace, monospace; font-size: 11px; white-space: nowrap; }
.err { color: #b00; font-weight: bold; }
.failure { border: 2px solid #c00; background: #fff4f4; padding: .6em 1em; margin-top: 1em;
  max-width: 70em; }
.failure code { background: #fff; }
col.hl, td.hl, th.hl { background-color: #fffbd0 !important; }
details { margin: .6em 0; }
"""

_JS = """
(function () {
  var table = document.getElementById('lanes');
  function lane(i) {
    var cells = table.querySelectorAll('[data-lane="' + i + '"]');
    var on = !(cells.length && cells[0].classList.contains('hl'));
    table.querySelectorAll('.hl').forEach(function (c) { c.classList.remove('hl'); });
    if (on) { cells.forEach(function (c) { c.classList.add('hl'); }); }
  }
  table.querySelectorAll('th.lane').forEach(function (th) {
    th.addEventListener('click', function () { lane(th.getAttribute('data-lane')); });
  });
  var rows = table.querySelectorAll('tr.step');
  var at = rows.length - 1;
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'j' && e.key !== 'k') { return; }
    at = Math.max(0, Math.min(rows.length - 1, at + (e.key === 'j' ? 1 : -1)));
    rows[at].scrollIntoView({block: 'center'});
  });
  document.body.setAttribute('data-ready', String(rows.length));
})();
"""


def _e(x: Any) -> str:
    return html.escape(fmt(x) if not isinstance(x, str) else x)


def render_html(trace: Trace, story: Story | None = None) -> str:
    """A self-contained page: the property and its docstring, a lane table (contexts grouped
    by CPU, the shared state, a lane per page), the initial state folded, the failing record
    highlighted in the last row, and a box saying why it is false."""
    st = _story(trace, story)
    used = {s.who for s in st.steps}
    groups = [(g, [ln for ln in lanes if ln.key in used]) for g, lanes in st.groups()]
    groups = [(g, lanes) for g, lanes in groups if lanes]
    ctx = [ln for _, lanes in groups for ln in lanes]
    failing = set(st.failure.failing_fields) if st.failure else set()
    failing_recs = {r["key"] for r in st.failure.records} if st.failure else set()
    # header rows: groups, then lanes
    head1 = ["<th rowspan=2>step</th>"]
    for g, lanes in groups:
        head1.append(f"<th class=group colspan={len(lanes)}>{_e(g or 'contexts')}</th>")
    head1.append("<th class=group rowspan=2 data-lane=shared>shared state</th>")
    if st.objects:
        head1.append(f"<th class=group colspan={len(st.objects)}>pages (location, counts)</th>")
    head2 = []
    for i, ln in enumerate(ctx):
        head2.append(f"<th class=lane data-lane=c{i} title='{_e(ln.key)}'>{_e(ln.label)}</th>")
    for i, ln in enumerate(st.objects):
        head2.append(f"<th class=lane data-lane=o{i}>{_e(ln.label)}</th>")
    rows = []
    # step 0: the page lanes' initial values; the whole state folded below
    cells = ["<td class=step>0</td>"] + [f"<td data-lane=c{i}></td>" for i in range(len(ctx))]
    cells.append("<td data-lane=shared><i>initial state</i></td>")
    cells += [f"<td class=obj data-lane=o{i}>{_e(st.initial_objects.get(ln.key, ''))}</td>"
              for i, ln in enumerate(st.objects)]
    rows.append("<tr class=step>" + "".join(cells) + "</tr>")
    last = len(st.steps)
    for s in st.steps:
        cls = ["step"] + (["loop"] if s.loop_start else []) + (["last"] if s.index == last else [])
        cells = [f"<td class=step>{s.index}</td>"]
        for i, ln in enumerate(ctx):
            mine = s.by_lane.get(ln.key, [])
            inner = "".join(f"<div class=chg>{_e(c.field[len(ln.key) + 1:])}: {_e(c.before)} &rarr; "
                            f"{_e(c.after)}</div>" for c in mine)
            if ln.key == s.who:
                doc = f"<div class=doc1>{_e(s.doc)}</div>" if s.doc else ""
                err = f"<div class=err>!! {_e(s.error)}</div>" if s.error else ""
                cells.append(f"<td class=act data-lane=c{i}><b>{_e(s.call)}</b>{doc}{err}{inner}</td>")
            else:
                cells.append(f"<td data-lane=c{i}>{inner}</td>")
        shared = s.by_lane.get("", [])
        if s.who not in {ln.key for ln in ctx}:
            shared_head = f"<b>{_e(s.call)}</b>" + (f"<div class=doc1>{_e(s.doc)}</div>" if s.doc else "")
        else:
            shared_head = ""
        inner = "".join(
            f"<div class='chg{' failing' if c.field in failing and s.index == last else ''}' "
            f"data-field='{_e(c.field)}'>{_e(c.field)}: {_e(c.before)} &rarr; {_e(c.after)}</div>"
            for c in shared)
        fail_cls = " failing" if s.index == last and any(c.field in failing for c in shared) else ""
        cells.append(f"<td class='shared{fail_cls}' data-lane=shared>{shared_head}{inner}</td>")
        for i, ln in enumerate(st.objects):
            changed = bool(s.by_lane.get(ln.key))
            is_fail = s.index == last and ln.key in failing_recs
            c = "obj" + (" changed" if changed else "") + (" failing" if is_fail else "")
            title = _e(", ".join(ch.text() for ch in s.by_lane.get(ln.key, [])))
            flag = " data-failing=1" if is_fail else ""
            cells.append(f"<td class='{c}' data-lane=o{i} title='{title}'{flag}>"
                         f"{_e(s.objects.get(ln.key, ''))}</td>")
        rows.append(f"<tr class='{' '.join(cls)}'>" + "".join(cells) + "</tr>")
    init_rows = "".join(f"<tr><td><code>{_e(k)}</code></td><td>{_e(v)}</td></tr>"
                        for k, v in st.initial.items())
    cfg = ", ".join(f"{k}={v}" for k, v in st.params.items())
    fail_html = ""
    f = st.failure
    if f is not None and (f.doc or f.atom):
        parts = [f"<h2>Why <code>{_e(f.property)}</code> is false after step {last}</h2>"]
        if f.doc:
            parts.append(f"<p class=doc>{_e(' '.join(f.doc.split()))}</p>")
        for b in f.because:
            parts.append(f"<p>given <code>{_e(b)}</code>,</p>")
        if f.conjunct and f.conjunct != f.atom and not f.because:
            parts.append(f"<p>the conjunct <code>{_e(f.conjunct)}</code> is false;</p>")
        if f.atom:
            parts.append(f"<p id=failing-formula>false here: <code>{_e(f.atom)}</code></p>")
        if f.values:
            parts.append("<ul id=failing-values>" + "".join(
                f"<li data-field='{_e(k)}'><code>{_e(k)}</code> = <b>{_e(v)}</b></li>"
                for k, v in f.values.items()) + "</ul>")
        if f.step is not None:
            parts.append(f"<p>made false at step {f.step} by <b>{_e(f.step_text)}</b></p>")
        if f.records:
            parts.append("<p id=failing-records>records: " + "; ".join(
                f"<b data-record='{_e(r['key'])}'>{_e(r['label'])}</b>" for r in f.records) + "</p>")
        fail_html = "<div class=failure id=failure>" + "".join(parts) + "</div>"
    note = f"<p class=meta><i>{_e(st.note)}</i></p>" if st.note else ""
    src = f", loaded from <code>{_e(trace.source)}</code>" if trace.source else ""
    doc1 = (st.model_doc.strip().split("\n\n")[0] if st.model_doc else "")
    return f"""<!doctype html>
<html lang=en><head><meta charset="utf-8">
<meta name=viewport content="width=device-width, initial-scale=1">
<title>{_e(trace.model)}: {_e(trace.property)}</title>
<style>{_CSS}</style></head><body data-property="{_e(trace.property)}">
<h1>{_e(trace.property)} <small>({_e(trace.kind)})</small>: {_e(trace.message)}</h1>
<p class=meta>Model <b>{_e(trace.model)}</b>{src}, configuration {_e(st.config)} ({_e(cfg)}),
engine {_e(trace.engine)}, {trace.length} steps, fingerprint <code>{_e(trace.fingerprint)}</code>.</p>
{f'<p class=meta>{_e(" ".join(doc1.split()))}</p>' if doc1 else ''}
{note}
<details><summary>initial state ({len(st.initial)} fields)</summary>
<table class=lanes>{init_rows}</table></details>
<table class=lanes id=lanes>
<tr>{''.join(head1)}</tr>
<tr>{''.join(head2)}</tr>
{''.join(rows)}
</table>
{fail_html}
<p class=meta>Click a lane's header to highlight it; <kbd>j</kbd>/<kbd>k</kbd> move between steps.
Replay it with <code>ppcheck replay</code>.</p>
<script>{_JS}</script>
</body></html>
"""
