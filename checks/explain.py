"""``ppcheck explain TRACE``: the trace's story in Markdown, the kind the hand-written
``counterexamples/*.md`` tell, written from the trace, the model's lanes and the actions'
docstrings (nothing is made up: every sentence is a docstring or a recorded change).

Consecutive steps of one context are told as one paragraph (``1-4. CPU0 softirq (NAPI):
...``); each step says which kernel function ran (the action), what its docstring says it
does, and what happened to the pages; the end says which property broke and why the kernel
needs it.
"""

from __future__ import annotations

from .story import Story, StoryStep, fmt
from .traces import Trace


def _page_changes(st: Story, s: StoryStep) -> str:
    parts = []
    for ln in st.objects:
        cs = s.by_lane.get(ln.key)
        if not cs:
            continue
        loc = [c for c in cs if c.field.endswith(".loc")]
        rest = [c for c in cs if not c.field.endswith(".loc")]
        bits = [f"{fmt(loc[0].before)} -> {fmt(loc[0].after)}"] if loc else []
        bits += [f"{c.field[len(ln.key) + 1:]} {fmt(c.before)} -> {fmt(c.after)}" for c in rest[:4]]
        parts.append(f"{ln.label}: " + ", ".join(bits))
    return "; ".join(parts)


def _shared_changes(s: StoryStep) -> str:
    cs = s.by_lane.get("", [])
    return ", ".join(f"`{c.field}` {fmt(c.before)} -> {fmt(c.after)}" for c in cs[:5]) + (
        f" (+{len(cs) - 5} more)" if len(cs) > 5 else "")


def explain(trace: Trace, story: Story) -> str:
    st = story
    L: list[str] = []
    verdict = "reaches" if trace.kind == "sometimes" else "violates"
    L.append(f"# {trace.model}: {verdict} `{trace.property}` in configuration {st.config} "
             f"({trace.length} steps)")
    L.append("")
    if st.model_doc:
        L.append(" ".join(st.model_doc.strip().split("\n\n")[0].split()))
        L.append("")
    f = st.failure
    if f is not None and f.doc:
        L.append(f"**The property.** `{trace.property}` ({trace.kind}): " + " ".join(f.doc.split()))
        L.append("")
    used = {s.who for s in st.steps}
    groups = [(g, [ln for ln in lanes if ln.key in used]) for g, lanes in st.groups()]
    ctx = "; ".join(", ".join(f"{ln.label} (`{ln.key}`)" for ln in lanes) for g, lanes in groups if lanes)
    if ctx:
        L.append(f"**Who runs.** {ctx}.")
        L.append("")
    if st.objects:
        L.append("**At the start.** " + "; ".join(f"{ln.label}: {st.initial_objects.get(ln.key, '')}"
                                                 for ln in st.objects) + ".")
        L.append("")
    L.append("**What happens.**")
    L.append("")
    i = 0
    while i < len(st.steps):
        j = i
        while j + 1 < len(st.steps) and st.steps[j + 1].who == st.steps[i].who \
                and not st.steps[j + 1].loop_start and j + 1 < len(st.steps) - 1:
            j += 1
        run = st.steps[i:j + 1]
        nums = f"{run[0].index}" if len(run) == 1 else f"{run[0].index}-{run[-1].index}"
        lines = []
        for s in run:
            text = f"`{s.call}`"
            if s.doc:
                text += f": {s.doc}"
            pages = _page_changes(st, s)
            if pages:
                text += f" ({pages})"
            if s.error:
                text += f" **Fails: {s.error}**"
            lines.append(text)
        loop = " *(the loop starts here)*" if run[0].loop_start else ""
        if len(lines) == 1:
            L.append(f"{nums}. **{run[0].lane}**:{loop} {lines[0]}")
        else:
            L.append(f"{nums}. **{run[0].lane}**:{loop}")
            L += [f"   - {x}" for x in lines]
        i = j + 1
    L.append("")
    last = st.steps[-1] if st.steps else None
    if f is not None and (f.atom or f.doc):
        L.append("**Why it is a bug.**" if trace.kind != "sometimes" else "**What is reached.**")
        why = []
        if f.because:
            why.append("Given " + " and ".join(f"`{b}`" for b in f.because) + ",")
        if f.atom:
            why.append(f"`{f.atom}` is false after step {last.index if last else 0}")
        if f.values:
            why.append("(" + ", ".join(f"`{k}` = {fmt(v)}" for k, v in f.values.items()) + ")")
        if f.step is not None:
            why.append(f"since step {f.step} ({f.step_text})")
        if f.records:
            why.append("for " + ", ".join(r["label"] for r in f.records))
        L.append(" ".join(why) + ".")
        L.append("")
    if last is not None:
        shared = _shared_changes(last)
        if shared:
            L.append(f"The last step also changed {shared}.")
            L.append("")
    if st.note:
        L.append(f"*Note: {st.note}*")
        L.append("")
    L.append("Check it yourself: `ppcheck replay TRACE` re-executes every step; `ppcheck show TRACE "
             "--format html` draws the lanes.")
    return "\n".join(L) + "\n"
