"""Generate the C half of the native explorer from a System's traced IR.

The same IR the Python explorer compiles (``spec/expr.py`` :data:`OPS`) is turned into
C with :data:`C_OPS`, one entry per operator.  The generated source defines
``pp_expand_state`` (invariants, witnesses, every binding's guard, assertions, domain
checks, updates, transition properties, canonicalisation and insertion: the C twin of
``expand`` in ``checks/compile.py``) and ``pp_canon`` (the same canonical form as the
generated Python ``canon``), then the model-independent ``runtime.c``.

Bindings are tested in the order of ``checks/compile.py``'s guard trie, keyed by the
Python source of each conjunct, so a one-thread native search stores the states in
exactly the Python explorer's order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ppcheck.spec.bounds import interval, intervals_from_guard
from ppcheck.spec.expr import Expr
from ppcheck.spec.model import ALWAYS, LEADS_TO, SOMETIMES, TRANSITION, System

from ..compile import Emitter, shared_nodes

RUNTIME = Path(__file__).with_name("runtime.c")
LIVENESS = Path(__file__).with_name("liveness.c")
SYMMETRY = Path(__file__).with_name("symmetry.c")


def _const(a: list[str], e: Expr) -> str:
    return f"({e.value}LL)" if e.value >= 0 else f"(-{-e.value}LL)"


#: C for every operator of the IR (``spec.expr.OPS``): args rendered, node -> C source
C_OPS: dict[str, Callable[[list[str], Expr], str]] = {
    "const": _const,
    "var": lambda a, e: f"f{e.value}",
    "next": lambda a, e: f"n{e.value}",
    "add": lambda a, e: f"({a[0]} + {a[1]})",
    "sub": lambda a, e: f"({a[0]} - {a[1]})",
    "mul": lambda a, e: f"({a[0]} * {a[1]})",
    "neg": lambda a, e: f"(-{a[0]})",
    "mod": lambda a, e: f"pp_mod({a[0]}, {a[1]})",
    "min": lambda a, e: f"pp_min({a[0]}, {a[1]})",
    "max": lambda a, e: f"pp_max({a[0]}, {a[1]})",
    "eq": lambda a, e: f"({a[0]} == {a[1]})",
    "ne": lambda a, e: f"({a[0]} != {a[1]})",
    "lt": lambda a, e: f"({a[0]} < {a[1]})",
    "le": lambda a, e: f"({a[0]} <= {a[1]})",
    "and": lambda a, e: "(" + " && ".join(a) + ")",
    "or": lambda a, e: "(" + " || ".join(a) + ")",
    "not": lambda a, e: f"(!{a[0]})",
    "ite": lambda a, e: f"({a[0]} ? {a[1]} : {a[2]})",
}


class Unsupported(Exception):
    """The model cannot be compiled to C (the caller falls back to the Python explorer)."""


class CEmitter(Emitter):
    """Expressions to C, hoisting shared subtrees into ``const int64_t`` temporaries."""

    def render(self, e: Expr, args: list[str], var: str, nxt: str) -> str:
        return C_OPS[e.op](args, e)

    def declare(self, name: str, src: str) -> str:
        return f"const int64_t {name} = {src};"


def _get(f: Any, src: str = "s") -> str:
    v = f"(int64_t)pp_get({src}, {f.offset}, {f.width})"
    return f"({v} + {f.lo}LL)" if f.lo > 0 else (f"({v} - {-f.lo}LL)" if f.lo < 0 else v)


def _set(f: Any, val: str, dst: str = "t") -> str:
    return f"pp_set({dst}, {f.offset}, {f.width}, (uint64_t)(({val}) - ({f.lo}LL)));"


class _CTrie:
    """The guard trie of ``checks/compile.py`` (same keys, same order), rendered as C."""

    MAX_DEPTH = 12

    def __init__(self) -> None:
        self.here: list[list[str]] = []
        self.kids: dict[str, tuple[str, _CTrie]] = {}

    def add(self, conj: list[tuple[str, str]], body: list[str]) -> None:
        if len(conj) > self.MAX_DEPTH:
            rest = conj[self.MAX_DEPTH - 1:]
            conj = conj[:self.MAX_DEPTH - 1] + [(" and ".join(p for p, _ in rest),
                                                  " && ".join(c for _, c in rest))]
        node = self
        for py, c in conj:
            if py not in node.kids:
                node.kids[py] = (c, _CTrie())
            node = node.kids[py][1]
        node.here.append(body)

    def render(self, ind: str = "    ") -> list[str]:
        out: list[str] = []
        for body in self.here:
            out += [ind + "{"] + [ind + "    " + ln for ln in body] + [ind + "}"]
        for c, kid in self.kids.values():
            conds = [c]
            while not kid.here and len(kid.kids) == 1:
                ((c2, kid),) = kid.kids.values()
                conds.append(c2)
            out.append(f"{ind}if ({' && '.join(conds)}) {{")
            out += kid.render(ind + "    ")
            out.append(ind + "}")
        return out


def _canon_c(system: System) -> list[str]:
    """pp_canon(t): the canonical form of compile.py's ``canon``, record by record."""
    lay = system.layout
    out = ["static void pp_canon(uint64_t *t) {"]
    for name in system.symmetric_arrays:
        a = lay.arrays[name]
        n = len(a.elements)
        if n < 2 or a.stride == 0:
            continue
        if a.stride > 64:
            raise Unsupported(f"records of {name} are wider than 64 bits")
        refs = [f for f in lay.fields if f.ref_target == name]
        outside = [f for f in refs if not any(f.index in fi for fi in a.field_indices)]
        body = [f"uint64_t e[{n}], k[{n}] = {{0}};"]
        body += [f"e[{i}] = pp_get(t, {a.base + i * a.stride}, {a.stride});" for i in range(n)]
        body.append("if (!(" + " && ".join(f"e[{i}] < e[{i + 1}]" for i in range(n - 1)) + ")) {")
        inner: list[str] = []
        for j, f in enumerate(outside):
            inner.append(f"{{ int64_t v = {_get(f, 't')}; if (v >= 0) k[v] |= {1 << j}ull; }}")
        # a stable insertion sort of the record indices by (record, which outside Refs point here)
        inner += [f"int o[{n}];", f"for (int i = 0; i < {n}; i++) o[i] = i;",
                  f"for (int i = 1; i < {n}; i++) {{",
                  "    int x = o[i], j = i - 1;",
                  "    while (j >= 0 && (e[o[j]] > e[x] || (e[o[j]] == e[x] && k[o[j]] > k[x]))) {",
                  "        o[j + 1] = o[j]; j--; }",
                  "    o[j + 1] = x;",
                  "}",
                  "int moved = 0;",
                  f"for (int i = 0; i < {n}; i++) moved |= o[i] != i;",
                  "if (moved) {",
                  f"    int p[{n}];"]
        inner += [f"    pp_set(t, {a.base + i * a.stride}, {a.stride}, e[o[{i}]]);" for i in range(n)]
        inner.append(f"    for (int i = 0; i < {n}; i++) p[o[i]] = i;")
        for f in refs:
            inner.append(f"    {{ int64_t v = {_get(f, 't')}; if (v >= 0) {_set(f, 'p[v]')} }}")
        inner.append("}")
        body += ["    " + ln for ln in inner] + ["}"]
        out += ["    {"] + ["        " + ln for ln in body] + ["    }"]
    out.append("}")
    return out


def unsupported(system: System) -> str | None:
    """Why ``system`` cannot be compiled to C, or None."""
    if len(system.bindings) >= 0xFFFF:
        return f"{len(system.bindings)} bindings (at most 65534)"
    for name in system.symmetric_arrays:
        a = system.layout.arrays[name]
        if len(a.elements) > 1 and a.stride > 64:
            return f"records of {name} are wider than 64 bits"
    return None


def has_canon(system: System) -> bool:
    """Does the model have a symmetric array to canonicalise (the search may still not)?"""
    return any(len(system.layout.arrays[a].elements) > 1 and system.layout.arrays[a].stride
               for a in system.symmetric_arrays)


_FVAR = re.compile(r"(?<![\w])([fn])(\d+)\b")


def _function(head: str, body: list[str], fields: list[Any], ret: str | None = None) -> list[str]:
    """A static function whose body reads fields as ``f<i>`` (of ``s``) and ``n<i>`` (of ``t``):
    unpack just those at its top."""
    used = sorted({(m.group(1), int(m.group(2))) for ln in [*body, ret or ""]
                   for m in _FVAR.finditer(ln)},
                  key=lambda x: (x[0], x[1]))
    out = [head + " {"]
    for kind, i in used:
        out.append(f"    const int64_t {kind}{i} = {_get(fields[i], 's' if kind == 'f' else 't')};")
    out += ["    " + ln for ln in body]
    if ret is not None:
        out.append(f"    return {ret};")
    out.append("}")
    return out


def generate(system: System, switch: int | None = None) -> str:
    """The whole C source (runtime, then the model half) for ``system``.

    Every property is compiled in; which are checked is set per search (``pp_set_active``),
    so one build serves every ``--property`` selection and both symmetry settings.

    ``switch`` (mutant schemata, :mod:`.schemata`): the index of a field no binding updates;
    the top-level branches whose first conjunct is ``field == k`` are called through one
    ``switch`` on that field instead of one after the other."""
    lay = system.layout
    fields = lay.fields
    if len(system.bindings) >= 0xFFFF:
        raise Unsupported(f"{len(system.bindings)} bindings (at most 65534)")
    kinds: dict[str, list[int]] = {k: [] for k in (ALWAYS, SOMETIMES, TRANSITION)}
    for i, p in enumerate(system.properties):
        if p.kind in kinds:
            kinds[p.kind].append(i)
    canon = has_canon(system)
    sb = max(1, (lay.total_bits + 7) // 8)
    words = max(1, (lay.total_bits + 63) // 64)
    out = [f"/* ppcheck native explorer: {system.name}/{system.config.name} "
           f"(fingerprint {system.fingerprint}) */",
           f"#define SB {sb}", f"#define W {words}", f"#define NB {len(system.bindings)}",
           f"#define NPROP {len(system.properties)}", f"#define HAS_CANON {int(canon)}",
           RUNTIME.read_text(), ""]
    out += _canon_c(system) if canon else ["static void pp_canon(uint64_t *t) { (void)t; }"]
    out.append("")

    # every state and two-state property as a function (the search, pp_prop, replay)
    for k, p in enumerate(system.properties):
        if p.kind not in (ALWAYS, SOMETIMES, TRANSITION):
            continue
        em = CEmitter("_p", shared_nodes([p.expr]))
        src = em.expr(p.expr)
        out += _function(f"static int pp_prop_{k}(const uint64_t *s, const uint64_t *t)",
                         [*em.lines, "(void)t;"], fields, f"({src}) != 0")
    out.append("int pp_prop(int k, const uint8_t *sb, const uint8_t *tb) {")
    out.append("    uint64_t s[W], t[W]; s[W - 1] = 0; t[W - 1] = 0;")
    out.append("    memcpy(s, sb, SB); if (tb) memcpy(t, tb, SB); else memcpy(t, sb, SB);")
    out.append("    switch (k) {")
    for k, p in enumerate(system.properties):
        if p.kind in (ALWAYS, SOMETIMES, TRANSITION):
            out.append(f"    case {k}: return pp_prop_{k}(s, t);")
    out += ["    default: return -1;", "    }", "}", ""]
    # every state property of one state at once (the symmetry checks ask for all of them)
    out.append("void pp_props_all(const uint8_t *sb, uint8_t *res) {")
    out.append("    uint64_t s[W]; s[W - 1] = 0; memcpy(s, sb, SB);")
    for k, p in enumerate(system.properties):
        if p.kind in (ALWAYS, SOMETIMES):
            out.append(f"    res[{k}] = (uint8_t)pp_prop_{k}(s, s);")
    out += ["}", ""]

    dom = {f.index: (f.lo, f.hi) for f in fields}
    trie = _CTrie()
    cases: dict[str, int] = {}  # top-level trie key -> the switch value it tests
    for b in system.bindings:
        ir = b.ir
        conj = list(ir.guard.args) if ir.guard.op == "and" else [ir.guard]
        conj = [c for c in conj if not (c.op == "const" and c.value)]
        keyed = [(Emitter("", set()).expr(c), CEmitter("", set()).expr(c)) for c in conj]
        if switch is not None and conj and _switch_case(conj[0], switch) is not None:
            cases[keyed[0][0]] = _switch_case(conj[0], switch)
        em = CEmitter(f"_u{b.id}_", shared_nodes([*ir.updates.values(),
                                                   *(c for c, _ in ir.assertions)]))
        tight = intervals_from_guard(ir.guard, dom)
        sets: list[str] = []
        checks: list[tuple[Any, str]] = []
        for i in sorted(ir.updates):
            e, f = ir.updates[i], fields[i]
            lo, hi = interval(e, tight)
            v = em.expr(e)
            em.lines.append(f"const int64_t u{i} = {v};")
            sets.append(_set(f, f"u{i}"))
            if not (f.lo <= lo and hi <= f.hi):
                checks.append((f, f"u{i}"))
        asserts = [em.expr(c) for c, _ in ir.assertions]
        body = ["int ek = 0, em = -1; (void)ek; (void)em;", *em.lines]
        for m, src in enumerate(asserts):
            body.append(f"if (!{src}) {{ if (out) {{ if (!ek) {{ ek = K_ASSERT; em = {m}; }} }} "
                        f"else pp_report(wk, K_ASSERT, -1, idx, {b.id}, {m}); }}")
        tail = ["memcpy(t, s, W * 8);", *sets]
        if kinds[TRANSITION]:
            tail.append("if (!out) {")
            for k in kinds[TRANSITION]:
                tail.append(f"    if (wk->c->active[{k}] && !pp_prop_{k}(s, t)) "
                            f"pp_report(wk, K_TRANSITION, {k}, idx, {b.id}, -1);")
            tail.append("}")
        tail += [f"if (out) pp_collect(out, {b.id}, t, ek, em); else pp_emit(wk, t, idx, {b.id});",
                 "en = 1;"]
        if checks:
            cond = " && ".join(f"{f.lo}LL <= {u} && {u} <= {f.hi}LL" for f, u in checks)
            body.append(f"if (!({cond})) {{ if (out) pp_collect(out, {b.id}, NULL, ek ? ek : K_DOMAIN, "
                        f"ek ? em : -1); else pp_report(wk, K_DOMAIN, -1, idx, {b.id}, -1); }}")
            body.append("else {")
            body += ["    " + ln for ln in tail]
            body.append("}")
        else:
            body += tail
        trie.add(keyed, body)

    # one function per top-level branch of the trie: the compiler's time stays linear
    branches: list[list[str]] = []
    case_of: dict[int, int] = {}  # branch -> switch value
    if trie.here:
        top = _CTrie()
        top.here = trie.here
        branches.append(top.render(""))
    for py, (c, kid) in trie.kids.items():
        one = _CTrie()
        one.kids[py] = (c, kid)
        if py in cases:
            case_of[len(branches)] = cases[py]
        branches.append(one.render(""))
    for j, br in enumerate(branches):
        out += _function(f"static int pp_br_{j}(pp_worker *wk, const uint64_t *s, int64_t idx, "
                         "uint64_t *t, pp_out *out)", ["int en = 0;", *br], fields, "en")
    fn = ["static int pp_expand_state(pp_worker *wk, const uint64_t *s, int64_t idx) {",
          "    int en = 0;", "    uint64_t t[W];", "    pp_ctx *c = wk->c;"]
    for k in kinds[ALWAYS]:
        fn.append(f"    if (c->active[{k}] && pp_before(c->viol_idx[{k}], idx) && !pp_prop_{k}(s, s)) "
                  f"pp_report(wk, K_ALWAYS, {k}, idx, -1, -1);")
    for k in kinds[SOMETIMES]:
        fn.append(f"    if (c->active[{k}] && pp_before(c->found[{k}], idx) && pp_prop_{k}(s, s)) "
                  f"pp_found(wk, {k}, idx);")
    fn += [f"    en |= pp_br_{j}(wk, s, idx, t, NULL);" for j in range(len(branches))
           if j not in case_of]
    fn += _switch_c(switch, fields, case_of, "en |= pp_br_{j}(wk, s, idx, t, NULL);")
    fn += ["    return en;", "}", ""]
    fn += ["static int pp_succ_state(const uint64_t *s, pp_out *out) {",
           "    uint64_t t[W];"]
    fn += [f"    pp_br_{j}(NULL, s, -1, t, out);" for j in range(len(branches)) if j not in case_of]
    fn += _switch_c(switch, fields, case_of, "pp_br_{j}(NULL, s, -1, t, out);")
    fn += ["    return out->n;", "}"]
    out += fn
    out += _leads_to_c(system)
    out.append(LIVENESS.read_text())
    out += _symmetry_c(system)
    out.append(SYMMETRY.read_text())
    return "\n".join(out) + "\n"


def _symmetry_c(system: System) -> list[str]:
    """For symmetry.c (the soundness probe of checks/symmetry.py ``asymmetry`` in C):
    ``pp_transpose`` (``permute`` by one adjacent swap ``transpositions`` yields, in
    their order), the state properties in ``asymmetry``'s order, the transition ones."""
    lay, fields = system.layout, system.layout.fields
    swaps: list[tuple[int, int]] = []  # (array, position) of each transposition, in order
    body = ["static void pp_transpose(int a, int i, uint64_t *t) {", "    switch (a) {"]
    for ai, name in enumerate(system.symmetric_arrays):
        arr = lay.arrays[name]
        n = len(arr.elements)
        swaps += [(ai, i) for i in range(n - 1)]
        if n < 2:
            continue
        body.append(f"    case {ai}:")
        body.append("        switch (i) {")
        for i in range(n - 1):
            body.append(f"        case {i}: {{")
            for fa, fb in zip(arr.field_indices[i], arr.field_indices[i + 1]):
                a_, b_ = fields[fa], fields[fb]
                body.append(f"            {{ uint64_t x = pp_get(t, {a_.offset}, {a_.width}), "
                            f"y = pp_get(t, {b_.offset}, {b_.width}); pp_set(t, {a_.offset}, "
                            f"{a_.width}, y); pp_set(t, {b_.offset}, {b_.width}, x); }}")
            for f in fields:
                if f.ref_target == name:
                    body.append(f"            {{ int64_t v = {_get(f, 't')}; if (v == {i}) "
                                f"{{ {_set(f, str(i + 1))} }} else if (v == {i + 1}) "
                                f"{{ {_set(f, str(i))} }} }}")
            body += ["            break;", "        }"]
        body += ["        }", "        break;"]
    body += ["    }", "    (void)a; (void)i; (void)t;", "}"]
    props = ["static int pp_asym_props(const uint64_t *s, const uint64_t *t) {"]
    trans = ["static int pp_asym_trans(int r, const uint64_t *s, const uint64_t *t) {",
             "    switch (r) {"]
    ntrans = 0
    for k, p in enumerate(system.properties):
        if p.kind in (ALWAYS, SOMETIMES):
            props.append(f"    if (pp_prop_{k}(s, s) != pp_prop_{k}(t, t)) return {k};")
        elif p.kind == LEADS_TO:
            props += [f"    if (pp_lt_{k}_{w}(s) != pp_lt_{k}_{w}(t)) return {k};" for w in (0, 1)]
        elif p.kind == TRANSITION:
            trans.append(f"    case {ntrans}: return pp_prop_{k}(s, t);")
            ntrans += 1
    props += ["    (void)s; (void)t;", "    return -1;", "}"]
    trans += ["    }", "    (void)s; (void)t;", "    return -1;", "}"]
    tids = [k for k, p in enumerate(system.properties) if p.kind == TRANSITION]
    return [*body, *props, *trans,
            f"#define PP_NSWAPS {len(swaps)}",
            f"static const int pp_swap_arr[] = {{{', '.join(str(a) for a, _ in swaps) or '0'}}};",
            f"static const int pp_swap_pos[] = {{{', '.join(str(i) for _, i in swaps) or '0'}}};",
            f"#define PP_NTRANS {ntrans}",
            f"static const int pp_trans_prop[] = {{{', '.join(map(str, tids)) or '0'}}};", ""]


def _leads_to_c(system: System) -> list[str]:
    """pp_lt_pred(k, which, s): p (which 0) or q (1) of leads_to property k, for liveness.c."""
    out: list[str] = []
    cases: list[str] = []
    for k, p in enumerate(system.properties):
        if p.kind != LEADS_TO:
            continue
        for which, e in enumerate((p.pre, p.post)):
            em = CEmitter("_l", shared_nodes([e]))
            src = em.expr(e)
            out += _function(f"static int pp_lt_{k}_{which}(const uint64_t *s)", em.lines,
                             system.layout.fields, f"({src}) != 0")
            cases.append(f"    if (k == {k} && which == {which}) return pp_lt_{k}_{which}(s);")
    return [*out, "static int pp_lt_pred(int k, int which, const uint64_t *s) {", *cases,
            "    (void)k; (void)which; (void)s;", "    return -1;", "}", ""]


def _switch_case(c: Expr, fi: int) -> int | None:
    """k when the conjunct ``c`` is ``var(fi) == k`` (a mutant schema's variant test)."""
    if c.op == "eq" and len(c.args) == 2:
        a, b = c.args
        if a.op == "var" and a.value == fi and b.op == "const":
            return int(b.value)
    return None


def _switch_c(switch: int | None, fields: list[Any], case_of: dict[int, int], call: str) -> list[str]:
    """The branches of ``case_of`` called through one C ``switch`` on field ``switch``."""
    if switch is None or not case_of:
        return []
    out = [f"    switch ({_get(fields[switch])}) {{"]
    for j, k in sorted(case_of.items(), key=lambda x: x[1]):
        out.append(f"    case {k}: " + call.format(j=j) + " break;")
    return out + ["    default: break;", "    }"]


def domain_message(system: System, bid: int) -> str:
    """The Python explorer's message for a domain error of binding ``bid``."""
    b = system.bindings[bid]
    fields = system.layout.fields
    dom = {f.index: (f.lo, f.hi) for f in fields}
    tight = intervals_from_guard(b.ir.guard, dom)
    names = []
    for i in sorted(b.ir.updates):
        lo, hi = interval(b.ir.updates[i], tight)
        f = fields[i]
        if not (f.lo <= lo and hi <= f.hi):
            names.append(f.name)
    return f"value out of the domain of {', '.join(names)}"
