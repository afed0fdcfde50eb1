"""Permutations of scalarset arrays, outside the hot loop.

The explorer's generated ``canon`` sorts records to pick a representative; that is
sound (the result is always a permutation of its input) but not always the same
representative for two states of one orbit.  Rebuilding a concrete trace therefore
asks the exact question, "is ``a`` a permutation of ``b``?", by trying the
permutations here: cheap for the few states of a trace.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from ppcheck.spec.model import System


def permute(system: System, s: int, perms: dict[str, tuple[int, ...]]) -> int:
    """Apply ``perms`` (array -> new position i takes old element perms[i])."""
    lay = system.layout
    v = lay.unpack(s)
    out = list(v)
    for name, perm in perms.items():
        fi = lay.arrays[name].field_indices
        for i, j in enumerate(perm):
            for a, b in zip(fi[i], fi[j]):
                out[a] = v[b]
    for name, perm in perms.items():
        inv = [0] * len(perm)
        for i, j in enumerate(perm):
            inv[j] = i
        for f in lay.fields:
            if f.ref_target == name and out[f.index] >= 0:
                out[f.index] = inv[out[f.index]]
    return lay.pack(out)


def all_permutations(system: System) -> Iterator[dict[str, tuple[int, ...]]]:
    arrays = [a for a in system.symmetric_arrays if len(system.layout.arrays[a].elements) > 1]
    choices = [list(itertools.permutations(range(len(system.layout.arrays[a].elements))))
               for a in arrays]
    for combo in itertools.product(*choices):
        yield dict(zip(arrays, combo))


def same_orbit(system: System, a: int, b: int) -> bool:
    """True if some permutation of the symmetric arrays maps ``a`` to ``b``."""
    if a == b:
        return True
    return any(permute(system, a, p) == b for p in all_permutations(system))


def transpositions(system: System) -> Iterator[dict[str, tuple[int, ...]]]:
    """Adjacent swaps of each symmetric array: they generate every permutation."""
    for a in system.symmetric_arrays:
        n = len(system.layout.arrays[a].elements)
        for i in range(n - 1):
            p = list(range(n))
            p[i], p[i + 1] = p[i + 1], p[i]
            yield {a: tuple(p)}


def asymmetry(system: System, compiled: object, states: list[int]) -> str | None:
    """Why symmetry reduction would be unsound for ``system``, or None.

    Reduction is sound when every property has the same value on a state and on its
    permutations, and the canonical successors of a state and of its permutations are
    the same set.  This tests both on ``states`` under each adjacent transposition: a
    test, not a proof, so callers use it on initial, random and reachable states.
    """
    from .compile import compile_predicate

    native = getattr(compiled, "asymmetry", None)  # the native backend asks it in C
    if native is not None:
        return native(states)
    ns = compiled.namespace  # type: ignore[attr-defined]
    canon = ns["canon"]
    succ_all = ns["succ_all"]
    props: list = []  # (name, state predicate)
    pairs: list = []  # (name, two-state predicate)
    for k, p in enumerate(system.properties):
        if p.kind in ("always", "sometimes"):
            props.append((p.name, ns[f"prop_{k}"]))
        elif p.kind == "transition":
            pairs.append((p.name, ns[f"prop_{k}"]))
        elif p.kind == "leads_to":
            props.append((p.name, compile_predicate(system, p.pre)))
            props.append((p.name, compile_predicate(system, p.post)))

    def succ(s: int) -> tuple[set, list]:
        canonical, concrete = set(), []
        for _, t, err in succ_all(s):
            if t is not None:
                canonical.add(canon(t))
                concrete.append(t)
            if err is not None:
                canonical.add(err[0])  # a failing step must fail for every permutation
        return canonical, concrete

    for s in states:
        base = None
        for perm in transpositions(system):
            arr = next(iter(perm))
            t = permute(system, s, perm)
            for name, f in props:
                if f(s) != f(t):
                    return f"property {name} distinguishes records of {arr}"
            if base is None:
                base = succ(s)
            other = succ(t)
            if other[0] != base[0]:
                return f"the actions treat records of {arr} differently"
            for name, f in pairs:
                for nxt in base[1]:
                    if f(s, nxt) != f(t, permute(system, nxt, perm)):
                        return f"transition property {name} distinguishes records of {arr}"
    return None


def random_states(system: System, n: int, seed: int = 0) -> list[int]:
    import random

    rnd = random.Random(seed)
    lay = system.layout
    return [lay.pack([rnd.randint(f.lo, f.hi) for f in lay.fields]) for _ in range(n)]
