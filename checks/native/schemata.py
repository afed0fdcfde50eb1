"""Mutant schemata: one C build of a configuration in which every mutant is switched on by id.

The classic meta-mutant technique, on the traced IR: a mutant's IR is what
:mod:`ppcheck.spec.mutation` traces (one definition, no second encoding); :class:`Schema` puts
the original bindings and every mutant's changed bindings into one System with an extra field
``__mutant__`` that no binding updates, and :func:`~.cgen.generate` compiles it once:

* an original binding a mutant ``k`` replaces or removes gets the conjunct ``__mutant__ != k``;
* mutant ``k``'s re-traced bindings get ``__mutant__ == k`` first (called through one C
  ``switch`` on the field, so the other mutants cost nothing per state).

A search of mutant ``k`` starts from the initial states with ``__mutant__ = k``; the field
never changes, so the reachable graph is the mutant's.  Every search runs without symmetry
reduction (a mutant may break the symmetry; no soundness test is needed).  Equivalence is
decided in C (``pp_equiv``): on every reachable state of the original (all of them, no
symmetry) the mutant has the same successors, errors and assertion failures binding by
binding, which by induction from the same initial states is the same reachable state graph.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ppcheck.spec.expr import BOOL, INT, Expr, const, digest
from ppcheck.spec.model import ALWAYS, SOMETIMES, TRANSITION, Binding, System
from ppcheck.spec.schema import Field, Int
from ppcheck.spec.tracer import Traced

from .build import CDEF, build
from .cgen import generate

MUT_FIELD = "__mutant__"
#: the binding ids of the C store are uint16 (0xFFFF marks an initial state)
MAX_BINDINGS = 0xFFF0

EQUIV_C = r"""
/* mutant schemata: does mutant k have the original's successors on states[0..n)?  Returns
   the first index where it does not, or -1.  lab[bid]: the original binding a binding stands
   for (a variant has its original's id), so the two successor lists compare binding by
   binding; the successors of the mutant carry k in the mutant field, cleared first. */
static int32_t eq_ab[NB], eq_aek[NB], eq_aem[NB], eq_bb[NB], eq_bek[NB], eq_bem[NB];
static uint8_t eq_aok[NB], eq_bok[NB], eq_ast[(int64_t)NB * SB], eq_bst[(int64_t)NB * SB];

/* pp_equiv modulo dead fields: each successor is projected first (for each control field
   ctl[2c], width ctl[2c+1], the dead fields of its raw value are cleared: masks[row[c] +
   value]); and the observed transition properties tp[0..ntp) must give the same verdict on
   the original's and the mutant's transition. */
static void eq_project(uint64_t *x, int nctl, const int32_t *ctl, const int32_t *row,
                       const uint64_t *masks) {
    uint64_t m[W];
    for (int j = 0; j < W; j++) m[j] = 0;
    for (int c = 0; c < nctl; c++) {
        uint64_t v = pp_get(x, ctl[2 * c], ctl[2 * c + 1]);
        const uint64_t *mk = masks + ((int64_t)row[c] + (int64_t)v) * W;
        for (int j = 0; j < W; j++) m[j] |= mk[j];
    }
    for (int j = 0; j < W; j++) x[j] &= ~m[j];
}

int64_t pp_equiv_dead(const uint8_t *states, int64_t n, int64_t k, const int32_t *lab, int moff,
                      int mwidth, int nctl, const int32_t *ctl, const int32_t *row,
                      const uint64_t *masks, int ntp, const int32_t *tp) {
    uint64_t w[W], x[W], y[W], w0[W];
    for (int64_t i = 0; i < n; i++) {
        w[W - 1] = 0;
        memcpy(w, states + i * SB, SB);
        memcpy(w0, w, sizeof w0);
        pp_out oa = {0, eq_ab, eq_aek, eq_aem, eq_ast, eq_aok};
        pp_succ_state(w, &oa);
        pp_set(w, moff, mwidth, (uint64_t)k);
        pp_out ob = {0, eq_bb, eq_bek, eq_bem, eq_bst, eq_bok};
        pp_succ_state(w, &ob);
        if (oa.n != ob.n) return i;
        for (int jb = 0; jb < ob.n; jb++) {
            if (!eq_bok[jb]) continue;
            x[W - 1] = 0;
            memcpy(x, eq_bst + (int64_t)jb * SB, SB);
            pp_set(x, moff, mwidth, 0);
            memcpy(eq_bst + (int64_t)jb * SB, x, SB);
        }
        for (int ja = 0; ja < oa.n; ja++) {
            int jb = 0;
            while (jb < ob.n && lab[eq_bb[jb]] != lab[eq_ab[ja]]) jb++;
            if (jb == ob.n) return i;
            if (eq_aek[ja] != eq_bek[jb] || eq_aem[ja] != eq_bem[jb] || eq_aok[ja] != eq_bok[jb])
                return i;
            if (!eq_aok[ja]) continue;
            x[W - 1] = 0; y[W - 1] = 0;
            memcpy(x, eq_ast + (int64_t)ja * SB, SB);
            memcpy(y, eq_bst + (int64_t)jb * SB, SB);
            for (int q = 0; q < ntp; q++)
                if (pp_prop(tp[q], (const uint8_t *)w0, (const uint8_t *)x)
                    != pp_prop(tp[q], (const uint8_t *)w0, (const uint8_t *)y)) return i;
            eq_project(x, nctl, ctl, row, masks);
            eq_project(y, nctl, ctl, row, masks);
            if (memcmp(x, y, SB)) return i;
        }
    }
    return -1;
}

/* pp_equiv: the exact test, pp_equiv_dead with no field dead and no transition property. */
int64_t pp_equiv(const uint8_t *states, int64_t n, int64_t k, const int32_t *lab, int moff,
                 int mwidth) {
    return pp_equiv_dead(states, n, k, lab, moff, mwidth, 0, NULL, NULL, NULL, 0, NULL);
}
"""


@cache
def _ffi() -> Any:
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(CDEF + "int64_t pp_equiv(const uint8_t *, int64_t, int64_t, const int32_t *, int, int);"
             "int64_t pp_equiv_dead(const uint8_t *, int64_t, int64_t, const int32_t *, int, int,"
             " int, const int32_t *, const int32_t *, const uint64_t *, int, const int32_t *);")
    return ffi


def ir_hash(b: Binding, memo: dict[int, str]) -> str:
    """A hash of one binding's traced IR (guard, updates, assertions)."""

    def eh(e: Expr) -> str:
        return digest(e, memo)

    parts = [eh(b.ir.guard)] + [f"{i}={eh(e)}" for i, e in sorted(b.ir.updates.items())]
    parts += [f"{m}:{eh(c)}" for c, m in b.ir.assertions]
    return "/".join(parts)


@dataclass
class Variant:
    """What a mutant changes in one configuration: the labels of the original's bindings it
    replaces or removes, and its own bindings for them (or new labels)."""

    removed: set[str]
    bindings: list[Binding]


def variant(original: System, hashes: dict[str, str], memo: dict[int, str],
            new: list[Binding], scope: set[str] | None) -> Variant | None:
    """The difference between ``original`` and a mutant whose bindings of ``scope`` (actions;
    None: every action) are ``new``; None when the mutant has the original's IR here."""
    old = {b.label(): b for b in original.bindings if scope is None or b.action in scope}
    got = {b.label(): b for b in new}
    changed = [b for lbl, b in got.items() if hashes.get(lbl) != ir_hash(b, memo)]
    removed = {lbl for lbl in old if lbl not in got} | {b.label() for b in changed if b.label() in old}
    if not changed and not removed:
        return None
    return Variant(removed, changed)


@dataclass
class Outcome:
    """One search of one mutant (or of the original, k = 0)."""

    violated: str | None  # the first violated property (or ACTION_ASSERTIONS), if any
    complete: bool
    reason: str
    states: int
    found: set[str] = field(default_factory=set)  # sometimes properties reached
    fired: set[str] = field(default_factory=set)  # actions that fired


class Schema:
    """One configuration's original and mutants ``1..len(variants)``, compiled once."""

    def __init__(self, original: System, variants: dict[int, Variant], opt: str = "-O1"):
        self.original = original
        lay = original.layout
        top = max(variants, default=0)
        width = max(1, top.bit_length())
        mf = Field(len(lay.fields), MUT_FIELD, Int(0, top), 0, top, 0, lay.total_bits, width)
        self.mut = mf
        layout = dataclasses.replace(lay, fields=[*lay.fields, mf], total_bits=lay.total_bits + width)
        var = Expr("var", (), INT, mf.index)
        off: dict[str, list[int]] = {}
        for k, v in variants.items():
            for lbl in v.removed:
                off.setdefault(lbl, []).append(k)
        bindings: list[Binding] = []
        labels: list[int] = []  # meta binding -> the original binding id it stands for
        for b in original.bindings:
            ir = b.ir
            ks = off.get(b.label())
            if ks:
                conj = list(ir.guard.args) if ir.guard.op == "and" else [ir.guard]
                conj += [Expr("ne", (var, const(k)), BOOL) for k in sorted(ks)]
                ir = Traced(Expr("and", tuple(conj), BOOL), ir.updates, ir.assertions)
            bindings.append(Binding(len(bindings), b.action, b.args, b.who, ir))
            labels.append(b.id)
        by_label = {b.label(): b.id for b in original.bindings}
        extra = len(original.bindings)
        for k in sorted(variants):
            for b in variants[k].bindings:
                g = b.ir.guard
                conj = [Expr("eq", (var, const(k)), BOOL)]
                conj += list(g.args) if g.op == "and" else [g]
                ir = Traced(Expr("and", tuple(conj), BOOL), b.ir.updates, b.ir.assertions)
                bindings.append(Binding(len(bindings), b.action, b.args, b.who, ir))
                lid = by_label.get(b.label())
                if lid is None:
                    lid, extra = extra, extra + 1
                labels.append(lid)
        if len(bindings) > MAX_BINDINGS:
            raise ValueError(f"{len(bindings)} bindings in one schema (at most {MAX_BINDINGS})")
        digest = hashlib.sha1("".join(sorted(f"{k}:{sorted(v.removed)}" for k, v in variants.items()))
                              .encode()).hexdigest()[:8]
        self.system = dataclasses.replace(original, layout=layout, bindings=bindings,
                                          fingerprint=f"{original.fingerprint}s{digest}")
        self.variants = variants
        self.labels = labels
        t0 = time.perf_counter()
        source = generate(self.system, switch=mf.index) + EQUIV_C
        _, _, path = build(source, f"{original.name}-{original.config.name}-schema",
                           self.system.fingerprint, opt=opt)
        self.build_seconds = time.perf_counter() - t0
        self.path = path
        self._lib: Any = None
        self._orig: Any = None  # the original's search context (every reachable state)
        self._dead: Any = None  # the dead-field analysis (lazily)

    @property
    def lib(self) -> Any:
        if self._lib is None:  # opened lazily: in each forked worker
            self._lib = _ffi().dlopen(str(self.path))
            self.sb = self._lib.pp_sb()
            self._lab = _ffi().new("int32_t[]", self.labels or [0])
        return self._lib

    def search(self, k: int, active: set[str], timeout: float | None = None,
               max_states: int | None = None, stop_at_first: bool = True, keep: bool = False
               ) -> Outcome:
        """Explore mutant ``k`` (0: the original) without symmetry, checking ``active``."""
        ffi, lib, sysm = _ffi(), self.lib, self.system
        ctx = lib.pp_new(0)
        if ctx == ffi.NULL:
            raise MemoryError("the native explorer could not allocate its state store")
        ctx = ffi.gc(ctx, lib.pp_free)
        props = sysm.properties
        for i, p in enumerate(props):
            lib.pp_set_active(ctx, i, int(p.name in active))
        shift = k << self.mut.offset
        for s in sysm.init_states:
            lib.pp_add_init(ctx, (s | shift).to_bytes(self.sb, "little"))
        t0 = time.perf_counter()
        head, complete, reason = 0, True, ""
        vidx = lib.pp_viol(ctx, 0)
        nkeys = len(props) + 1

        def first() -> str | None:
            hits = [key for key in range(nkeys) if vidx[key] >= 0]
            if not hits:
                return None
            key = min(hits, key=lambda key: vidx[key])
            return props[key].name if key < len(props) else "action_assertions"

        violated = None
        while head < lib.pp_count(ctx):
            hi = min(int(lib.pp_count(ctx)), head + 32768)
            if lib.pp_expand(ctx, head, hi, 1) != 0:
                complete, reason = False, "out of memory"
                break
            head = hi
            violated = first()
            n = int(lib.pp_count(ctx))
            if violated and stop_at_first:
                complete, reason = False, "stopped at the first violation"
                break
            if max_states is not None and n >= max_states and head < n:
                complete, reason = False, f"state budget of {max_states} reached"
                break
            if timeout is not None and time.perf_counter() - t0 >= timeout and head < n:
                complete, reason = False, f"time budget of {timeout:g}s reached"
                break
        violated = violated or first()
        found = [int(x) for x in ffi.unpack(lib.pp_found_arr(ctx), max(len(props), 1))]
        cov = ffi.unpack(lib.pp_cov(ctx), len(sysm.bindings))
        fired = {sysm.bindings[i].action for i, n in enumerate(cov) if n > 0}
        out = Outcome(violated, complete, reason, int(lib.pp_count(ctx)),
                      {p.name for i, p in enumerate(props) if p.kind == SOMETIMES and found[i] >= 0},
                      fired)
        if keep:
            self._orig = ctx
        return out

    def explore_original(self) -> Outcome:
        """The original's every reachable state (kept for :meth:`equivalent`) and coverage."""
        names = {p.name for p in self.system.properties if p.kind in (ALWAYS, SOMETIMES, TRANSITION)}
        return self.search(0, names, stop_at_first=False, keep=True)

    def equivalent(self, k: int) -> bool:
        """Mutant ``k`` has the original's successors on every reachable state of the original."""
        if self._orig is None:
            self.explore_original()
        lib = self.lib
        n = int(lib.pp_count(self._orig))
        return lib.pp_equiv(lib.pp_states(self._orig), n, k, self._lab, self.mut.offset,
                            self.mut.width) < 0

    def dead_analysis(self) -> Any:
        """The dead-field analysis of this configuration's original (its summaries cached)."""
        if self._dead is None:
            from ..deadfields import Analysis

            if self._orig is None:
                self.explore_original()
            lib, ffi = self.lib, _ffi()
            n = int(lib.pp_count(self._orig))
            raw = ffi.buffer(lib.pp_states(self._orig), n * self.sb)[:]
            sb = self.sb
            states = (int.from_bytes(raw[i * sb:(i + 1) * sb], "little") for i in range(n))
            self._dead = Analysis(self.original, states=states)
        return self._dead

    def dead_facts(self, k: int) -> Any:
        """The dead fields of mutant ``k`` and the original together (:mod:`..deadfields`)."""
        an = self.dead_analysis()
        memo: dict[int, str] = {}
        v = self.variants[k]
        keyed = [(b, b.label()) for b in self.original.bindings]
        keyed += [(b, f"{b.label()}#{ir_hash(b, memo)}") for b in v.bindings]
        return an.facts(keyed)

    def equivalent_dead(self, k: int) -> bool:
        """Mutant ``k`` has the original's successors, up to dead fields, on every reachable
        state of the original, and every observed transition property gives the same verdict
        (:mod:`..deadfields`: then the two graphs are equal up to dead fields)."""
        if self._orig is None:
            self.explore_original()
        an = self.dead_analysis()
        facts = self.dead_facts(k)
        if not facts.any():
            return False
        ctl, rows = an.masks(facts)
        ffi, lib = _ffi(), self.lib
        words = self._words()
        flat: list[int] = []
        row: list[int] = []
        for c in ctl:
            row.append(len(flat) // words)
            for m in rows[c]:
                flat += [(m >> (64 * j)) & 0xFFFFFFFFFFFFFFFF for j in range(words)]
        lay = self.system.layout
        cw = [x for c in ctl for x in (lay.fields[c].offset, lay.fields[c].width)]
        n = int(lib.pp_count(self._orig))
        tp = an.transition_ids
        return lib.pp_equiv_dead(lib.pp_states(self._orig), n, k, self._lab, self.mut.offset,
                                 self.mut.width, len(ctl), ffi.new("int32_t[]", cw or [0]),
                                 ffi.new("int32_t[]", row or [0]),
                                 ffi.new("uint64_t[]", flat or [0]), len(tp),
                                 ffi.new("int32_t[]", tp or [0])) < 0

    def _words(self) -> int:
        return (self.sb + 7) // 8
