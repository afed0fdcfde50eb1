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
