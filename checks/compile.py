"""Compile a System's IR to Python source for the explorer.

A state is one packed integer (see :func:`spec.schema.layout`).  The generated module
holds:

* ``expand(lo, hi)``: the fused BFS inner loop over ``states[lo:hi]``: unpack the
  fields read, check invariants and witnesses, then for every action binding test
  its guard inline, build the successor by adding field deltas, canonicalise it
  (symmetry), and insert it into the visited set with its parent link;
* ``step_<id>(s)``: one binding as a function, for replay and cross-engine tests;
* ``prop_<k>(s)``: one state property as a function; ``canon(s)``.

Nothing walks an expression tree per state: each tree is turned into Python once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ppcheck.spec.bounds import interval, intervals_from_guard
from ppcheck.spec.expr import Expr, walk
from ppcheck.spec.model import ALWAYS, SOMETIMES, TRANSITION, System


def _infix(sym: str) -> Callable[[Expr, list[str], str, str], str]:
    return lambda e, a, var, nxt: f"({a[0]} {sym} {a[1]})"


def _ite(e: Expr, a: list[str], var: str, nxt: str) -> str:
    if a[1] == "1" and a[2] == "0":  # a boolean counted as 0/1: Python bools add as ints
        return a[0]
    return f"({a[1]} if {a[0]} else {a[2]})"


#: Python source of each operator of :data:`~ppcheck.spec.expr.OPS`: ``(node, argument
#: sources, pre-state variable prefix, post-state prefix) -> source``
OP_TABLE: dict[str, Callable[[Expr, list[str], str, str], str]] = {
    "const": lambda e, a, var, nxt: str(e.value),
    "var": lambda e, a, var, nxt: f"{var}{e.value}",
    "next": lambda e, a, var, nxt: f"{nxt}{e.value}",
    **{op: _infix(sym) for op, sym in (("add", "+"), ("sub", "-"), ("mul", "*"), ("mod", "%"),
                                         ("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="))},
    "neg": lambda e, a, var, nxt: f"(-{a[0]})",
    "min": lambda e, a, var, nxt: f"min({a[0]}, {a[1]})",
    "max": lambda e, a, var, nxt: f"max({a[0]}, {a[1]})",
    "and": lambda e, a, var, nxt: "(" + " and ".join(a) + ")",
    "or": lambda e, a, var, nxt: "(" + " or ".join(a) + ")",
    "not": lambda e, a, var, nxt: f"(not {a[0]})",
    "ite": _ite,
}
_LEAVES = ("const", "var", "next")


# -- expression to Python source ----------------------------------------------------------

class Emitter:
    """Turns expressions into Python source, hoisting shared subtrees into temporaries."""

    def __init__(self, prefix: str, shared: set[int]):
        self.prefix = prefix
        self.shared = shared
        self.names: dict[int, str] = {}
        self.by_src: dict[str, str] = {}  # structurally equal subtrees share one temporary
        self.lines: list[str] = []
        self.n = 0

    def expr(self, e: Expr, var: str = "f", nxt: str = "n") -> str:
        k = id(e)
        if k in self.names:
            return self.names[k]
        if e.op in _LEAVES:
            return self.render(e, [], var, nxt)
        src = self.render(e, [self.expr(x, var, nxt) for x in e.args], var, nxt)
        if k not in self.shared:
            return src
        name = self.by_src.get(src)
        if name is None:
            name = f"{self.prefix}{self.n}"
            self.n += 1
            self.lines.append(self.declare(name, src))
            self.by_src[src] = name
        self.names[k] = name
        return name

    def render(self, e: Expr, args: list[str], var: str, nxt: str) -> str:
        """One node's source from its arguments' (the backend's operator table)."""
        return OP_TABLE[e.op](e, args, var, nxt)

    def declare(self, name: str, src: str) -> str:
        """The statement that hoists a shared subtree into the temporary ``name``."""
        return f"{name} = {src}"


def shared_nodes(roots: list[Expr]) -> set[int]:
    refs: Counter[int] = Counter()
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        n = stack.pop()
        for a in n.args:
            refs[id(a)] += 1
            if id(a) not in seen:
                seen.add(id(a))
                stack.append(a)
    return {k for k, c in refs.items() if c > 1}


class _Trie:
    """Bindings arranged by their guard conjuncts: a shared prefix is tested once.

    Bindings of one action (and of one context's pc) usually start with the same
    conjuncts, so a state with hundreds of bindings pays for a few tests per branch
    instead of every guard in full.
    """

    def __init__(self) -> None:
        self.here: list[list[str]] = []  # bodies of bindings whose guard ends here
        self.kids: dict[str, _Trie] = {}

    #: Python allows 20 statically nested blocks; deeper guards are joined with `and`
    MAX_DEPTH = 12

    def add(self, conj: list[str], body: list[str]) -> None:
        if len(conj) > self.MAX_DEPTH:
            conj = conj[:self.MAX_DEPTH - 1] + [" and ".join(conj[self.MAX_DEPTH - 1:])]
        node = self
        for c in conj:
            node = node.kids.setdefault(c, _Trie())
        node.here.append(body)

    def render(self, ind: str = "") -> list[str]:
        out: list[str] = []
        for body in self.here:
            out += [ind + ln for ln in body]
        for c, kid in self.kids.items():
            conds = [c]
            while not kid.here and len(kid.kids) == 1:  # a chain: one `if ... and ...`
                (c2, kid), = kid.kids.items()
                conds.append(c2)
            out.append(f"{ind}if {' and '.join(conds)}:")
            out += kid.render(ind + "    ")
        return out


# -- the generated module -----------------------------------------------------------------

@dataclass
class Compiled:
    """The generated functions and the source they came from."""

    source: str
    namespace: dict[str, Any]
    kinds: dict[str, list[int]]  # property kind -> indices into system.properties

    def __getattr__(self, k: str) -> Any:
        try:
            return self.namespace[k]
        except KeyError:
            raise AttributeError(k) from None


def unpack_line(f: Any, src: str = "s", dst: str = "f") -> str:
    mask = (1 << f.width) - 1
    shift = f"({src} >> {f.offset})" if f.offset else src
    lo = f" + {f.lo}" if f.lo else ""
    if f.lo:
        lo = f" + {f.lo}" if f.lo > 0 else f" - {-f.lo}"
    return f"{dst}{f.index} = ({shift} & {mask}){lo}"


def compile_state_function(system: System, exprs: list[Expr], prefix: str = "_c") -> Callable[[int], tuple]:
    """The values of ``exprs`` on a packed state of ``system``, as one compiled function
    (``s -> tuple``): what every engine that evaluates IR on explored states uses."""
    em = Emitter(prefix, shared_nodes(exprs))
    srcs = [em.expr(e) for e in exprs]
    used = sorted({n.value for e in exprs for n in walk(e) if n.op == "var"})
    lines = ["def values(s):"] + ["    " + unpack_line(system.layout.fields[i]) for i in used]
    lines += ["    " + ln for ln in em.lines]
    lines.append("    return (" + "".join(f"{x}, " for x in srcs) + ")")
    ns: dict[str, Any] = {}
    exec("\n".join(lines), ns)
    return ns["values"]


def compile_predicate(system: System, expr: Expr) -> Callable[[int], bool]:
    """A state predicate of ``system`` compiled to a function of a packed state."""
    em = Emitter("_l", shared_nodes([expr]))
    src = em.expr(expr)
    used = sorted({n.value for n in walk(expr) if n.op == "var"})
    lines = ["def pred(s):"] + ["    " + unpack_line(system.layout.fields[i]) for i in used]
    lines += ["    " + ln for ln in em.lines] + [f"    return bool({src})"]
    ns: dict[str, Any] = {}
    exec("\n".join(lines), ns)
    return ns["pred"]


#: CPython's ints are stored in 30-bit digits: shifting and masking a one-digit int is
#: several times faster than doing it on the whole (multi-digit) packed state
WORD = 30


def _unpack_block(fields: list[Any], src: str = "s") -> list[str]:
    """Unpack ``fields`` of the packed state ``src``: first into 30-bit words, then each
    field from its word (a field straddling two words is read from ``src`` directly)."""
    words = sorted({f.offset // WORD for f in fields
                    if f.offset // WORD == (f.offset + f.width - 1) // WORD})
    lines = [f"w{k} = ({src} >> {k * WORD}) & {(1 << WORD) - 1}" if k else
             f"w0 = {src} & {(1 << WORD) - 1}" for k in words]
    for f in fields:
        k = f.offset // WORD
        if k == (f.offset + f.width - 1) // WORD:
            sh = f.offset - k * WORD
            base = f"(w{k} >> {sh})" if sh else f"w{k}"
            if sh + f.width == WORD:
                expr = base  # the field ends the word: no mask needed
            else:
                expr = f"({base} & {(1 << f.width) - 1})"
            lo = f" + {f.lo}" if f.lo > 0 else (f" - {-f.lo}" if f.lo < 0 else "")
            lines.append(f"f{f.index} = {expr}{lo}")
        else:
            lines.append(unpack_line(f, src))
    return lines


def _canon_source(system: System) -> list[str]:
    """canon(t): sort the records of each symmetric array, remapping Refs into it."""
    lay = system.layout
    lines = ["def canon(t):"]
    body: list[str] = []
    for name in system.symmetric_arrays:
        a = lay.arrays[name]
        n = len(a.elements)
        if n < 2 or a.stride == 0:
            continue
        mask = (1 << a.stride) - 1
        whole = ((1 << (a.stride * n)) - 1) << a.base
        refs = [f for f in lay.fields if f.ref_target == name]
        # fast path: records already strictly increasing means this array is canonical
        body += [f"e{i} = (t >> {a.base + i * a.stride}) & {mask}" for i in range(n)]
        body.append("if not (" + " < ".join(f"e{i}" for i in range(n)) + "):")
        slow: list[str] = ["e = [" + ", ".join(f"e{i}" for i in range(n)) + "]"]
        if not refs:
            slow.append("e.sort()")
            slow.append(f"t = (t & ~{whole}) | " + " | ".join(
                f"(e[{i}] << {a.base + i * a.stride})" for i in range(n)))
            body += ["    " + ln for ln in slow]
            continue
        # tie-break equal records by which fields outside the array point at them, so
        # that states of one orbit get one representative (exact when no Ref lives
        # inside the array itself)
        outside = [f for f in refs if not any(f.index in fi for fi in a.field_indices)]
        if outside:
            slow.append(f"k = [0] * {n}")
            for j, f in enumerate(outside):
                m = (1 << f.width) - 1
                slow.append(f"v = ((t >> {f.offset}) & {m}) + {f.lo}")
                slow.append(f"if v >= 0: k[v] |= {1 << j}")
            slow.append(f"key = [(e[i] << {len(outside)}) | k[i] for i in range({n})]")
        else:
            slow.append("key = e")
        slow.append(f"o = sorted(range({n}), key=key.__getitem__)")
        slow.append(f"if o != {list(range(n))}:")
        slow.append(f"    t = (t & ~{whole}) | " + " | ".join(
            f"(e[o[{i}]] << {a.base + i * a.stride})" for i in range(n)))
        slow.append(f"    p = [0] * {n}")
        slow.append("    for i, j in enumerate(o): p[j] = i")
        for f in refs:
            m = (1 << f.width) - 1
            # stored value is v - lo (lo = -1 for optional refs): remap v >= 0 only
            slow.append(f"    v = ((t >> {f.offset}) & {m}) + {f.lo}")
            slow.append("    if v >= 0:")
            slow.append(f"        t += (p[v] - v) << {f.offset}")
        body += ["    " + ln for ln in slow]
    if not body:
        body = ["pass"]
    lines += ["    " + b for b in body] + ["    return t"]
    return lines


def compile_system(system: System, symmetry: bool = True, active: set[str] | None = None) -> Compiled:
    """Generate and compile the explorer functions for ``system``.

    ``active`` limits which properties are checked (default: all).
    """
    lay = system.layout
    fields = lay.fields
    props = [p for p in system.properties if active is None or p.name in active]
    pidx = {p.name: i for i, p in enumerate(system.properties)}
    kinds: dict[str, list[int]] = {k: [] for k in (ALWAYS, SOMETIMES, TRANSITION)}
    for p in props:
        if p.kind in kinds:
            kinds[p.kind].append(pidx[p.name])
    use_canon = symmetry and any(
        len(lay.arrays[a].elements) > 1 for a in system.symmetric_arrays)

    # which fields the fused loop must unpack
    roots: list[Expr] = []
    for b in system.bindings:
        roots.append(b.ir.guard)
        roots.extend(b.ir.updates.values())
        roots.extend(c for c, _ in b.ir.assertions)
        for i in b.ir.updates:
            roots.append(Expr("var", (), fields[i].sort, i))
    for k in kinds[ALWAYS] + kinds[SOMETIMES] + kinds[TRANSITION]:
        roots.append(system.properties[k].expr)
    used = sorted({n.value for r in roots for n in walk(r) if n.op in ("var", "next")})
    if kinds[TRANSITION]:
        used = list(range(len(fields)))

    dom = {f.index: (f.lo, f.hi) for f in fields}
    out: list[str] = []
    out += _canon_source(system)
    out.append("")

    # per-property functions
    for p in system.properties:
        if p.kind not in (ALWAYS, SOMETIMES, TRANSITION):
            continue
        k = pidx[p.name]
        em = Emitter("_p", shared_nodes([p.expr]))
        src = em.expr(p.expr)
        if p.kind == TRANSITION:
            out.append(f"def prop_{k}(s, t):")
            out += ["    " + unpack_line(f) for f in fields]
            out += ["    " + unpack_line(f, "t", "n") for f in fields]
        else:
            out.append(f"def prop_{k}(s):")
            out += ["    " + ln for ln in _unpack_block(fields)]
        out += ["    " + ln for ln in em.lines]
        out.append(f"    return bool({src})")
        out.append("")

    # fused BFS loop
    loop: list[str] = []
    loop.append("def expand(lo, hi):")
    loop.append("    c = [0] * NB")
    loop.append("    dead = 0")
    loop.append("    for idx in range(lo, hi):")
    body: list[str] = ["s = states[idx]"]
    body += _unpack_block([fields[i] for i in used])
    for k in kinds[ALWAYS]:
        # per property, shared only by identity: hoisting eagerly defeats `and`/`or`
        # short-circuiting, which is what makes most invariant checks cheap
        em = Emitter(f"_a{k}_", shared_nodes([system.properties[k].expr]))
        src = em.expr(system.properties[k].expr)
        body += em.lines
        body.append(f"if not {src}: violation('always', {k}, idx, -1, '')")
    for k in kinds[SOMETIMES]:
        em = Emitter(f"_w{k}_", shared_nodes([system.properties[k].expr]))
        src = em.expr(system.properties[k].expr)
        body.append(f"if found[{k}] < 0:")
        body += ["    " + ln for ln in em.lines]
        body.append(f"    if {src}: found[{k}] = idx")
    body.append("en = 0")

    step_funcs: list[str] = []
    trie = _Trie()
    succ_trie = _Trie()  # the same bindings, collecting every successor of one state
    for b in system.bindings:
        ir = b.ir
        conj = list(ir.guard.args) if ir.guard.op == "and" else [ir.guard]
        conj_src = [Emitter("", set()).expr(c) for c in conj if not (c.op == "const" and c.value)]
        em = Emitter(f"_u{b.id}_", shared_nodes([*ir.updates.values(),
                                                    *(c for c, _ in ir.assertions)]))
        tight = intervals_from_guard(ir.guard, dom)
        upd: list[tuple[Any, str, bool]] = []
        for i in sorted(ir.updates):
            e = ir.updates[i]
            f = fields[i]
            lo, hi = interval(e, tight)
            needs_check = not (f.lo <= lo and hi <= f.hi)
            # constant delta: `field + c`
            if e.op in ("add", "sub") and e.args[0].op == "var" and e.args[0].value == i \
                    and e.args[1].op == "const" and not needs_check:
                d = e.args[1].value if e.op == "add" else -e.args[1].value
                upd.append((f, f"({d} << {f.offset})" if f.offset else str(d), False))
                continue
            if e.op == "const" and not needs_check:
                upd.append((f, f"(({e.value} - f{i}) << {f.offset})", False))
                continue
            v = em.expr(e)
            em.lines.append(f"u{i} = {v}")
            upd.append((f, f"((u{i} - f{i}) << {f.offset})", needs_check))
        asserts = [(em.expr(c), m) for c, m in ir.assertions]
        ulines = em.lines
        delta = " + ".join(d for _, d, _ in upd) if upd else "0"
        checks = [(f, f"u{f.index}") for f, _, chk in upd if chk]

        def inner(tail: list[str], report: Any, ulines: list[str] = ulines,
                  asserts: list = asserts, checks: list = checks) -> list[str]:
            """What runs once the guard holds: updates, assertions, domain checks, tail."""
            code = list(ulines)
            for src, msg in asserts:
                code.append(f"if not {src}: {report('assert', msg)}")
            if checks:
                cond = " and ".join(f"{f.lo} <= {u} <= {f.hi}" for f, u in checks)
                names = ", ".join(f.name for f, _ in checks)
                code.append(f"if not ({cond}):")
                code.append("    " + report("domain", f"value out of the domain of {names}"))
                code.append("else:")
                code += ["    " + ln for ln in tail]
            else:
                code += tail
            return code

        tail = ["t = s + " + delta if upd else "t = s"]
        for k in kinds[TRANSITION]:  # on the concrete successor, before canonicalisation
            tail.append(f"if not prop_{k}(s, t): violation('transition', {k}, idx, {b.id}, '')")
        if use_canon:
            tail.append("t = canon(t)")
        tail += [f"c[{b.id}] += 1", "en = 1", "if t not in seen:",
                 f"    seen_add(t); states_append(t); parents_append(idx); acts_append({b.id})"]
        bid = b.id
        trie.add(conj_src, inner(tail, lambda kind, msg, bid=bid:
                                 f"violation({kind!r}, -1, idx, {bid}, {msg!r})"))
        def collect(kind: str, msg: str, bid: int = bid) -> str:
            if kind == "assert":  # the step still happens: remember the warning
                return f"err = err or ({kind!r}, {msg!r})"
            return f"out.append(({bid}, None, err or ({kind!r}, {msg!r}))); err = None"

        succ_trie.add(conj_src, inner(
            ["t = s + " + delta if upd else "t = s", f"out.append(({bid}, t, err)); err = None"],
            collect))
        # standalone step function for replay: returns (successor or None, error or None)
        sf = [f"def step_{b.id}(s):", "    err = None"]
        sf += ["    " + unpack_line(f) for f in fields]
        sf.append(f"    if {' and '.join(conj_src) or 'True'}:")
        stail = ["t = s + " + delta if upd else "t = s", "return t, err"]
        sf += ["        " + ln for ln in inner(stail, lambda kind, msg: f"err = err or ({kind!r}, {msg!r})")]
        sf.append("    return None, err")
        step_funcs += sf + [""]
    body += trie.render()

    body.append("if not en: dead += 1")
    loop += ["        " + ln for ln in body]
    loop.append("    for i in range(NB): cov[i] += c[i]")
    loop.append("    return dead")
    out += loop + [""] + step_funcs
    # succ_all(s): [(binding id, successor or None, error or None)] for one state, in one pass
    out.append("def succ_all(s):")
    out.append("    out = []")
    out.append("    err = None")
    out += ["    " + ln for ln in _unpack_block([fields[i] for i in used])]
    out += ["    " + ln for ln in succ_trie.render()]
    out.append("    return out")
    source = "\n".join(out) + "\n"
    ns: dict[str, Any] = {"NB": len(system.bindings)}
    exec(compile(source, f"<ppcheck:{system.name}/{system.config.name}>", "exec"), ns)
    return Compiled(source, ns, kinds)
