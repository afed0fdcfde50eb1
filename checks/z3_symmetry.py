"""Symmetry breaking for BMC on scalarset arrays (``Array(..., symmetric=True)``), proved sound.

A permutation ``π`` of a scalarset's records (Ref values into the array renamed with it) is
an *automorphism* of the system when it maps initial states to initial states, every
binding ``b`` to a binding ``π(b)`` (``guard_π(b)(π x) = guard_b(x)`` and
``post_π(b)(π x) = π(post_b(x))``: same enabledness, permuted successor) and leaves every
obligation's value unchanged (``ok(π x) = ok(x)``).  :func:`prove_symmetric` proves this
with Z3 for every adjacent transposition of every scalarset (they generate all
permutations, and automorphisms compose), over all states in the domains, not a sample.

Then every path has a permuted image of the same length that ends in a state with the same
obligation values; sorting the records by the step at which each first differs from its
initial value (ties by index) gives the image in which record ``i + 1`` is never touched
before record ``i``.  :func:`lex_leader` adds exactly that constraint to an unrolling, so
BMC still finds a shortest violation of every obligation (and "no path of length k"
still means none at all).  Each trace is decoded and replayed concretely as before.
"""

from __future__ import annotations

import z3

from ppcheck.spec.model import System

from .z3_encode import Encoding


def _transposition(system: System, array: str, i: int) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """Field ``f`` of ``π x`` is field ``src[f]`` of ``x``; ``refs`` are the Ref fields into
    ``array`` whose values ``i`` and ``i + 1`` swap."""
    lay = system.layout
    fi = lay.arrays[array].field_indices
    src = list(range(len(lay.fields)))
    for a, b in zip(fi[i], fi[i + 1]):
        src[a], src[b] = b, a
    refs = {f.index: (i, i + 1) for f in lay.fields if f.ref_target == array}
    return src, refs


def _permute(enc: Encoding, vals: list[z3.ExprRef], src: list[int],
             refs: dict[int, tuple[int, int]]) -> list[z3.ExprRef]:
    out = []
    for f, j in enumerate(src):
        v = vals[j]
        if f in refs:
            a, b = refs[f]
            v = z3.If(v == a, enc.num(b), z3.If(v == b, enc.num(a), v))
        out.append(v)
    return out


def prove_symmetric(enc: Encoding, obligations: list, timeout_ms: int = 60_000) -> str | None:
    """None if every adjacent transposition of every scalarset is an automorphism of
    ``enc``'s system that keeps each of ``obligations`` (and each guard and assertion), else
    why not (the first thing Z3 could not prove)."""
    sysm = enc.system
    x = enc.x
    for arr in sysm.symmetric_arrays:
        size = len(sysm.layout.arrays[arr].elements)
        for i in range(size - 1):
            src, refs = _transposition(sysm, arr, i)
            px = _permute(enc, list(x), src, refs)
            pairs = list(zip(x, px))
            for s in sysm.init_states:  # initial states: a concrete check
                vals = sysm.layout.unpack(s)
                pv = [vals[j] for j in src]
                for f, (a, b) in refs.items():
                    pv[f] = b if pv[f] == a else a if pv[f] == b else pv[f]
                if sysm.layout.pack(pv) not in sysm.init_states:
                    return f"swapping {arr}[{i}] and {arr}[{i + 1}] leaves the initial states"
            solver = enc.solver()  # bit-blasted: every variable has a finite domain
            solver.set("timeout", timeout_ms)
            solver.add(enc.domain_t)

            def valid(claim: z3.BoolRef) -> bool:
                solver.push()
                solver.add(z3.Not(claim))
                r = solver.check()  # unknown (a timeout) is not a proof
                solver.pop()
                return r == z3.unsat

            def moved(e: z3.ExprRef) -> z3.ExprRef:
                return z3.substitute(e, *pairs)

            for ob in obligations:
                if not valid(moved(ob.ok) == ob.ok):
                    return f"{ob.name} tells {arr}[{i}] from {arr}[{i + 1}]"
            inv = {j: f for f, j in enumerate(src)}
            for b in sysm.bindings:
                ub = enc.updates[b.id]
                for c in _candidates(sysm, b, i):
                    uc = enc.updates[c.id]
                    # only fields either binding writes can differ: elsewhere both sides are π x
                    fields = sorted({inv[j] for j in ub} | set(uc))
                    eqs = []
                    for f in fields:
                        j = src[f]
                        mine = ub.get(j, x[j])  # π(post_b(x)) at f: post_b(x) at src[f], renamed
                        if f in refs:
                            a, bb = refs[f]
                            mine = z3.If(mine == a, enc.num(bb), z3.If(mine == bb, enc.num(a), mine))
                        eqs.append(moved(uc.get(f, x[f])) == mine)
                    same = z3.And(moved(enc.guards[c.id]) == enc.guards[b.id], z3.Implies(
                        enc.guards[b.id], z3.And(moved(enc.asserts_ok[c.id]) == enc.asserts_ok[b.id],
                                                 moved(enc.in_domain[c.id]) == enc.in_domain[b.id],
                                                 *eqs)))
                    if valid(same):
                        break
                else:
                    return (f"no binding does for the swapped {arr}[{i}], {arr}[{i + 1}] what "
                            f"{b.label()} does")
    return None


def _candidates(system: System, b, i: int) -> list:  # noqa: ANN001 - a Binding
    """The bindings of ``b``'s action, the likeliest image first: ``b``'s arguments with
    ``i`` and ``i + 1`` swapped (a record index), then ``b`` itself, then the rest."""
    def swap(v):  # noqa: ANN001, ANN202
        return i + 1 if v == i else i if v == i + 1 else v

    same = [c for c in system.bindings if c.action == b.action]
    want = {k: swap(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in b.args.items()}
    return sorted(same, key=lambda c: (c.args != want, c.id != b.id))


class LexLeader:
    """The symmetry-breaking constraint of one unrolling: in every state ``s_k``, record
    ``i + 1`` of a scalarset has left its initial value (at some step <= k) only if record
    ``i`` has."""

    def __init__(self, enc: Encoding):
        self.enc = enc
        lay = enc.system.layout
        self.arrays = [lay.arrays[a].field_indices for a in enc.system.symmetric_arrays
                       if len(lay.arrays[a].elements) > 1]
        false = z3.BoolVal(False, enc.ctx)
        self.touched = [[false] * len(fi) for fi in self.arrays]

    def at(self, k: int) -> list[z3.BoolRef]:
        """The constraints for state ``k`` (call for k = 1, 2, ... in order)."""
        s0, sk = self.enc.state(0), self.enc.state(k)
        out = []
        for a, fi in enumerate(self.arrays):
            cur = [z3.Or(self.touched[a][r], z3.Or([sk[f] != s0[f] for f in fi[r]]))
                   for r in range(len(fi))]
            self.touched[a] = cur
            out += [z3.Implies(cur[r], cur[r - 1]) for r in range(1, len(fi))]
        return out


def lex_leader(enc: Encoding, obligations: list) -> LexLeader | None:
    """The symmetry-breaking constraint for BMC on ``enc``, if :func:`prove_symmetric`
    proves it sound for ``obligations`` (the proof is done once per encoding)."""
    lay = enc.system.layout
    if not any(len(lay.arrays[a].elements) > 1 for a in enc.system.symmetric_arrays):
        return None
    key = (enc.system.fingerprint, enc.arith, frozenset(o.name for o in obligations))
    if key not in _PROOFS:
        _PROOFS[key] = prove_symmetric(enc, obligations)
    return LexLeader(enc) if _PROOFS[key] is None else None


#: proofs done in this process, by (model fingerprint, arithmetic, obligations)
_PROOFS: dict[tuple, str | None] = {}
