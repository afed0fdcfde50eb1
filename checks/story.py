"""A trace as a story: who (which CPU, which kind of context) did what, to which page, and why
the last state breaks the property.  The renderers (text, Mermaid, HTML) and ``explain`` all
read this one :class:`Story`.

Lanes come from two optional model hooks, so no page_pool knowledge lives here:

* ``context_lanes(self) -> {who: (group, label)}``: a trace step's ``who`` (``ctxs[0]``)
  becomes a lane labelled ``CPU0 softirq (NAPI)`` in group ``CPU0``;
* ``object_lanes(self) -> {array: (noun, fields)}``: every element of the array is a lane
  (``page 0``) showing those fields over time (the allocator's view).

Without a model (``show`` of a file whose model cannot be loaded) the lanes are the trace's
``who`` labels and the story has no docstrings and no failure analysis: it says so in
``note``.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ppcheck.spec.expr import Expr, SpecError, evaluate, fields_read

from .traces import Trace

_REC = re.compile(r"^([A-Za-z_]\w*)\[(\d+)\]")


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


def fmt(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def first_sentence(doc: str) -> str:
    """The first sentence of a docstring, on one line."""
    para = " ".join(doc.strip().split("\n\n")[0].split())
    m = re.search(r"(?<=[a-z0-9)`'\"])\.(\s|$)", para)
    return para[:m.start() + 1] if m else para


@dataclass
class Lane:
    key: str  # the trace's who label (ctxs[0]) or record prefix (pages[1]); "" = shared state
    label: str  # CPU0 softirq (NAPI) / page 1 / pool
    group: str = ""  # CPU0
    kind: str = "context"  # context | object | shared


@dataclass
class Change:
    field: str
    before: Any
    after: Any

    def text(self) -> str:
        return f"{self.field}: {fmt(self.before)} -> {fmt(self.after)}"


@dataclass
class StoryStep:
    index: int
    who: str
    lane: str  # the context lane's label (or who)
    action: str
    call: str  # action(args)
    doc: str  # the first sentence of the action's docstring ("" without the model)
    changes: list[Change]
    by_lane: dict[str, list[Change]]  # lane key -> changes in it ("" = shared state)
    objects: dict[str, str]  # object lane key -> its summary after this step
    error: str | None = None
    loop_start: bool = False


@dataclass
class Failure:
    """Why the last state (or step) breaks the property."""

    property: str
    kind: str
    doc: str = ""
    conjunct: str = ""  # the top-level conjunct that is false, rendered
    atom: str = ""  # the innermost false sub-formula
    because: list[str] = field(default_factory=list)  # premises that hold (implications)
    values: dict[str, Any] = field(default_factory=dict)  # fields the atom reads -> final values
    records: list[dict[str, Any]] = field(default_factory=list)  # {key, label, fields}
    failing_fields: list[str] = field(default_factory=list)
    step: int | None = None  # the step that last changed a field the false part reads
    step_text: str = ""  # "CPU0 softirq (NAPI) page_pool_recycle_in_cache(c=0, p=0)"


@dataclass
class Story:
    model: str
    config: str
    params: dict[str, Any]
    property: str
    kind: str
    engine: str
    length: int
    message: str
    fingerprint: str
    model_doc: str = ""
    lanes: list[Lane] = field(default_factory=list)  # context lanes, grouped
    objects: list[Lane] = field(default_factory=list)  # object lanes (pages)
    initial: dict[str, Any] = field(default_factory=dict)  # the flattened initial state
    initial_objects: dict[str, str] = field(default_factory=dict)
    steps: list[StoryStep] = field(default_factory=list)
    failure: Failure | None = None
    note: str = ""  # why the story is poorer than it could be (no model, stale trace)
    source: str | None = None

    def lane_label(self, key: str) -> str:
        for ln in self.lanes + self.objects:
            if ln.key == key:
                return ln.label
        return key

    def groups(self) -> list[tuple[str, list[Lane]]]:
        out: list[tuple[str, list[Lane]]] = []
        for ln in self.lanes:
            if out and out[-1][0] == ln.group:
                out[-1][1].append(ln)
            else:
                out.append((ln.group, [ln]))
        return out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# -- building ---------------------------------------------------------------------------------

def _hook(inst: Any, name: str) -> Any:
    fn = getattr(inst, name, None)
    if fn is None:
        return None
    try:
        return fn()
    except Exception:  # noqa: BLE001 - a broken hook costs labels, never the trace
        return None


def _try_system(trace: Trace, model: type | None) -> tuple[Any, str]:
    """The trace's system (or None) and a note saying why not."""
    from ppcheck.loading import build_system, model_for_trace
    from ppcheck.spec.model import Config

    try:
        m = model or model_for_trace(trace.model, trace.source)
        system = build_system(m, Config(trace.config["name"], **trace.config["params"]))
    except (SpecError, TypeError) as e:
        return None, f"rendering without the model ({e}): no lane labels, docstrings or failure analysis"
    if system.fingerprint != trace.fingerprint:
        return system, (f"model {trace.model} changed since the trace was written (fingerprint "
                        f"{trace.fingerprint}, now {system.fingerprint}): labels and docstrings "
                        "are today's; the failure analysis is skipped")
    return system, ""


def _summary(rec: dict[str, Any], fields: list[str]) -> str:
    """``RX refcnt=1 pp_ref=1 magic`` from a record's fields (first field bare)."""
    parts = []
    for i, f in enumerate(fields):
        if f not in rec:
            continue
        v = rec[f]
        if isinstance(v, bool):
            if v:
                parts.append(f)
        elif i == 0:
            parts.append(fmt(v))
        else:
            parts.append(f"{f}={fmt(v)}")
    return " ".join(parts)


def build_story(trace: Trace, model: type | None = None, system: Any = None) -> Story:
    """The story of ``trace`` (with its model's hooks and docstrings when it can be built)."""
    note = ""
    if system is None:
        system, note = _try_system(trace, model)
    stale = bool(note) and system is not None
    st = Story(trace.model, str(trace.config.get("name")), dict(trace.config.get("params", {})),
               trace.property, trace.kind, trace.engine, trace.length, trace.message, trace.fingerprint,
               note=note, source=trace.source)
    inst = None
    docs: dict[str, str] = {}
    if system is not None:
        inst = system.model(system.config)
        st.model_doc = inspect.getdoc(system.model) or ""
        for d in system.model.action_defs():
            docs[d.name] = first_sentence(inspect.getdoc(d.fn) or "")
    # context lanes
    ctx = _hook(inst, "context_lanes") if inst is not None else None
    seen: list[str] = []
    for s in trace.steps[1:]:
        if s.who not in seen:
            seen.append(s.who)
    lanes: list[Lane] = []
    if isinstance(ctx, dict):
        for who, gl in ctx.items():
            group, label = gl if isinstance(gl, tuple) and len(gl) == 2 else ("", str(gl))
            lanes.append(Lane(who, label, group))
    known = {ln.key for ln in lanes}
    lanes += [Lane(w, w or "model", "") for w in seen if w not in known]
    order = {g: i for i, g in enumerate(dict.fromkeys(ln.group for ln in lanes))}
    lanes.sort(key=lambda ln: order[ln.group])
    st.lanes = lanes
    # object lanes
    objs = _hook(inst, "object_lanes") if inst is not None else None
    obj_fields: dict[str, list[str]] = {}
    init_state = trace.steps[0].state or {}
    if isinstance(objs, dict):
        for arr, spec in objs.items():
            noun, flds = spec
            for i, _rec in enumerate(init_state.get(arr, []) or []):
                key = f"{arr}[{i}]"
                st.objects.append(Lane(key, f"{noun} {i}", "", "object"))
                obj_fields[key] = list(flds)
    # steps
    prev = flatten(init_state)
    st.initial = prev
    st.initial_objects = {k: _summary(_record(init_state, k), obj_fields[k]) for k in obj_fields}
    lane_keys = {ln.key for ln in lanes}
    for i, s in enumerate(trace.steps[1:], start=1):
        cur = flatten(s.state) if s.state is not None else prev
        changes = [Change(k, prev.get(k), v) for k, v in cur.items() if prev.get(k) != v]
        by: dict[str, list[Change]] = {}
        for c in changes:
            m = _REC.match(c.field)
            key = m.group(0) if m else ""
            if key not in lane_keys and key not in obj_fields:
                key = ""
            by.setdefault(key, []).append(c)
        state = s.state if s.state is not None else {}
        args = ", ".join(f"{k}={fmt(v)}" for k, v in s.args.items())
        st.steps.append(StoryStep(
            i, s.who, st.lane_label(s.who) if s.who in lane_keys else (s.who or "model"),
            s.action or "", f"{s.action}({args})", docs.get(s.action or "", ""), changes, by,
            {k: _summary(_record(state, k), obj_fields[k]) for k in obj_fields} if state else {},
            s.error, trace.loop_start == i))
        prev = cur
    if system is not None and not stale:
        try:
            st.failure = _failure(trace, system, st)
        except (SpecError, KeyError, IndexError, TypeError, ValueError):
            st.failure = None
    if st.failure is None and system is None:
        st.failure = Failure(trace.property, trace.kind)
    return st


def _record(state: dict[str, Any], key: str) -> dict[str, Any]:
    m = _REC.match(key)
    if not m:
        return {}
    arr = state.get(m.group(1))
    i = int(m.group(2))
    if isinstance(arr, list) and i < len(arr) and isinstance(arr[i], dict):
        return arr[i]
    return {}


# -- the failure: which sub-formula is false, for which record --------------------------------

_INFIX = {"add": "+", "sub": "-", "mul": "*", "mod": "%", "eq": "==", "ne": "!=",
          "lt": "<", "le": "<=", "and": "&", "or": "|"}


def render_expr(e: Expr, lay: Any) -> str:
    """Like :func:`spec.expr.render`, with field names and a constant compared with an
    enum, Ref or Bool field shown as that field shows it (``ctxs[1].pc == CACHE_PUSH``)."""
    names = lay.names()

    def r(n: Expr) -> str:
        if n.op == "const":
            return ("True" if n.value else "False") if n.sort == "bool" else str(n.value)
        if n.op in ("var", "next"):
            return names[n.value] + ("'" if n.op == "next" else "")
        if n.op in ("eq", "ne", "lt", "le") and len(n.args) == 2:
            a, b = n.args
            if a.op in ("var", "next") and b.op == "const":
                return f"({r(a)} {_INFIX[n.op]} {fmt(lay.fields[a.value].show(b.value))})"
            if b.op in ("var", "next") and a.op == "const":
                return f"({fmt(lay.fields[b.value].show(a.value))} {_INFIX[n.op]} {r(b)})"
        if n.op in _INFIX:
            return "(" + f" {_INFIX[n.op]} ".join(r(a) for a in n.args) + ")"
        if n.op == "not":
            return "~" + r(n.args[0])
        if n.op == "neg":
            return "-" + r(n.args[0])
        return f"{n.op}(" + ", ".join(r(a) for a in n.args) + ")"

    return r(e)


def _short(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _false_path(e: Expr, ev: Any) -> tuple[Expr, list[Expr], Expr]:
    """(top-level false conjunct, premises that hold, innermost false node) of a false ``e``."""
    top: Expr | None = None
    premises: list[Expr] = []
    node = e
    while True:
        if node.op == "and":
            nxt = next((a for a in node.args if not ev(a)), None)
            if nxt is None:
                break
            node = nxt
            if top is None:
                top = node
            continue
        if node.op == "or":
            negs = [a for a in node.args if a.op == "not"]
            rest = [a for a in node.args if a.op != "not"]
            premises += [a.args[0] for a in negs]
            if top is None:
                top = node
            compound = [a for a in rest if a.op in ("and", "or")]
            if len(rest) == 1:
                node = rest[0]
                continue
            if compound and len(rest) - len(compound) == 0 and len(compound) == 1:
                node = compound[0]
                continue
            break
        break
    return (top if top is not None else e), premises, node


def _failure(trace: Trace, system: Any, st: Story) -> Failure | None:
    from ppcheck.spec.model import ALWAYS, LEADS_TO, TRANSITION

    from .verdict import ACTION_ASSERTIONS

    names = system.layout.names()
    lay = system.layout
    if trace.property == ACTION_ASSERTIONS:
        last = trace.steps[-1]
        f = Failure(trace.property, ALWAYS,
                    doc=("Every action's assertions (the kernel's WARN_ON/BUG_ON) hold and every "
                         "value stays in its field's domain."),
                    atom=last.error or "", conjunct=last.error or "")
        d = next((x for x in system.model.action_defs() if x.name == last.action), None)
        if d is not None:
            f.because = [f"{last.action}: {first_sentence(inspect.getdoc(d.fn) or '')}"]
        m = re.findall(r"[A-Za-z_]\w*\[\d+\]", last.error or "")
        f.records = [{"key": k, "label": st.lane_label(k), "fields": {}} for k in dict.fromkeys(m)]
        return f
    prop = system.property(trace.property)
    f = Failure(prop.name, prop.kind, doc=prop.doc)
    states = [s.state for s in trace.steps if s.state is not None]
    if prop.kind == LEADS_TO:
        f.conjunct = f"p = {_short(render_expr(prop.pre, lay))}; q = {_short(render_expr(prop.post, lay))}"
        f.atom = "q never holds after a p-state (the loop repeats forever)" if trace.loop_start is not None \
            else "q never holds after a p-state, and the last state has no successor"
        return f
    post = None
    pre = lay.unpack(lay.from_json(states[-1]))
    if prop.kind == TRANSITION:
        if len(states) < 2:
            return f
        pre, post = lay.unpack(lay.from_json(states[-2])), pre
    if prop.expr is None or evaluate(prop.expr, pre, post):
        return f if prop.kind in (ALWAYS, TRANSITION) else None
    memo: dict[int, int] = {}

    def ev(x: Expr) -> int:
        k = id(x)
        if k not in memo:
            memo[k] = evaluate(x, pre, post)
        return memo[k]

    top, premises, atom = _false_path(prop.expr, ev)
    f.conjunct = _short(render_expr(top, lay))
    f.atom = _short(render_expr(atom, lay))
    counted = _counted(atom, ev)
    if counted is not None:  # a count bound: name the records that are counted
        n, terms = counted
        other = atom.args[1] if atom.args[1].op == "const" else atom.args[0]
        need = {"le": "<=", "lt": "<", "eq": "==", "ne": "!="}[atom.op]
        bound = f" {need} {other.value}" if other.op == "const" else ""
        f.atom = (f"count{bound} is false: the count is {n}, counting "
                  + " and ".join(_short(render_expr(t, lay), 100) for t in terms[:3]))
        f.conjunct = f.atom
        atom_fields = set()
        for t in terms:
            atom_fields |= fields_read(t)
        read = sorted(atom_fields)
        f.values = {names[i]: lay.fields[i].show(pre[i]) for i in read}
        f.failing_fields = [names[i] for i in read]
        keys = {}
        for i in read:
            m = _REC.match(names[i])
            if m:
                keys.setdefault(m.group(0), {})[names[i][len(m.group(0)) + 1:]] = lay.fields[i].show(pre[i])
        _made_false(f, st, keys)
        f.records = [{"key": k, "label": st.lane_label(k), "fields": v} for k, v in keys.items()][:4]
        return f
    f.because = [_short(render_expr(p, lay), 160) for p in premises if ev(p)]
    read = sorted(fields_read(atom) | {n.value for n in _walk_next(atom)})
    f.values = {names[i]: lay.fields[i].show((post or pre)[i]) for i in read}
    f.failing_fields = [names[i] for i in read]
    keys: dict[str, dict[str, Any]] = {}
    for i in sorted(fields_read(top)):
        m = _REC.match(names[i])
        if m:
            keys.setdefault(m.group(0), {})
    for i in read:
        m = _REC.match(names[i])
        if m:
            keys.setdefault(m.group(0), {})[names[i][len(m.group(0)) + 1:]] = lay.fields[i].show(
                (post or pre)[i])
    _made_false(f, st, keys)
    # the records the atom itself reads come first
    atom_keys = [k for k in keys if keys[k]]
    chosen = atom_keys or list(keys)
    f.records = [{"key": k, "label": st.lane_label(k), "fields": keys[k]} for k in chosen][:4]
    return f


def _made_false(f: Failure, st: Story, keys: dict[str, dict[str, Any]]) -> None:
    """The step that made it false: the last one that changed a field the false part reads
    (for a ghost flag, the records that step touched are the ones to look at)."""
    for s in reversed(st.steps):
        if any(c.field in f.values for c in s.changes):
            f.step, f.step_text = s.index, f"{s.lane} {s.call}".strip()
            if not any(_REC.match(n) for n in f.values):
                for k in s.by_lane:
                    if k and k != s.who:
                        keys.setdefault(k, {})
                if s.who in {ln.key for ln in st.lanes}:
                    keys.setdefault(s.who, {})
            return


def _counted(atom: Expr, ev: Any) -> tuple[int, list[Expr]] | None:
    """For ``count(...) <= k`` style atoms: (the count, the conditions that are true)."""
    if atom.op not in ("le", "lt", "eq", "ne") or len(atom.args) != 2:
        return None
    for side in atom.args:
        terms: list[Expr] = []
        stack = [side]
        ok = True
        while stack:
            n = stack.pop()
            if n.op == "add":
                stack.extend(n.args)
            elif n.op == "ite" and n.args[1].op == "const" and n.args[2].op == "const":
                terms.append(n.args[0])
            elif n.op == "const":
                continue
            else:
                ok = False
                break
        if ok and len(terms) >= 2:
            true = [t for t in reversed(terms) if ev(t)]
            return ev(side), true
    return None


def _walk_next(e: Expr) -> list[Expr]:
    from ppcheck.spec.expr import walk

    return [n for n in walk(e) if n.op == "next"]
