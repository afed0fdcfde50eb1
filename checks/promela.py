"""Export a System to Promela, so SPIN can check the very same model.

Generated from the traced IR, never by hand: one global per state field, one
process whose ``do`` loop offers every action binding as a ``d_step`` (guard, then
the updates computed into hidden temporaries and assigned together, then the
invariants asserted).  With ``-DNOREDUCE -DBFS`` SPIN's "states, stored" is the
explorer's distinct-state count without symmetry plus one (the process's start,
before the initial invariant check), which the tests compare; SPIN's
assertion violations are the explorer's invariant violations.

Exported: ``always`` properties (as assertions after init and after every step),
action assertions and domain checks (as assertions).  Not exported: witnesses,
transition and progress properties (stated in a comment at the top).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ppcheck.spec.expr import Expr
from ppcheck.spec.model import ALWAYS, System


def _ident(name: str) -> str:
    return "v_" + re.sub(r"[^A-Za-z0-9]", "_", name).strip("_")


def _no_next(e: Expr, a: list[str], names: list[str]) -> str:
    raise ValueError("two-state expressions are not exported")


def _infix(sym: str) -> Callable[[Expr, list[str], list[str]], str]:
    return lambda e, a, names: f"({a[0]} {sym} {a[1]})"


#: the Promela form of each operator of :data:`~ppcheck.spec.expr.OPS`: ``(node, argument
#: sources, field identifiers) -> source``
OP_TABLE: dict[str, Callable[[Expr, list[str], list[str]], str]] = {
    "const": lambda e, a, names: str(e.value),
    "var": lambda e, a, names: names[e.value],
    "next": _no_next,
    **{op: _infix(sym) for op, sym in (("add", "+"), ("sub", "-"), ("mul", "*"), ("eq", "=="),
                                         ("ne", "!="), ("lt", "<"), ("le", "<="))},
    "neg": lambda e, a, names: f"(-{a[0]})",
    # Python's % (non-negative for a positive modulus); C's may be negative
    "mod": lambda e, a, names: f"((({a[0]}) % {a[1]} + {a[1]}) % {a[1]})",
    "and": lambda e, a, names: "(" + " && ".join(a) + ")",
    "or": lambda e, a, names: "(" + " || ".join(a) + ")",
    "not": lambda e, a, names: f"(!{a[0]})",
    "ite": lambda e, a, names: f"({a[0]} -> {a[1]} : {a[2]})",
    "min": lambda e, a, names: f"(({a[0]} < {a[1]}) -> {a[0]} : {a[1]})",
    "max": lambda e, a, names: f"(({a[0]} > {a[1]}) -> {a[0]} : {a[1]})",
}


def _expr(e: Expr, names: list[str]) -> str:
    row = OP_TABLE.get(e.op)
    if row is None:
        raise ValueError(f"operator {e.op} has no Promela form")
    return row(e, [_expr(x, names) for x in e.args], names)


def _decl(lo: int, hi: int) -> str:
    if lo >= 0 and hi <= 1:
        return "bit"
    if lo >= 0 and hi <= 255:
        return "byte"
    if lo >= -(1 << 15) and hi < (1 << 15):
        return "short"
    return "int"


def to_promela(system: System) -> str:
    """The system as a Promela model (see the module docstring)."""
    lay = system.layout
    names = [_ident(f.name) for f in lay.fields]
    init = lay.unpack(system.init_states[0])
    skipped = [p.name for p in system.properties if p.kind != ALWAYS]
    out = [
        f"/* ppcheck export of model {system.name}, configuration {system.config!r},",
        f"   fingerprint {system.fingerprint}. Generated: do not edit.",
        "   Invariants are assertions; not exported: " + (", ".join(skipped) or "nothing") + ". */",
        "",
    ]
    for f, n, v in zip(lay.fields, names, init):
        out.append(f"{_decl(f.lo, f.hi)} {n} = {v};  /* {f.name} */")
    tmp_ranges: dict[int, tuple[int, int]] = {}
    for b in system.bindings:
        for i in b.ir.updates:
            tmp_ranges[i] = (lay.fields[i].lo, lay.fields[i].hi)
    for i in sorted(tmp_ranges):
        out.append(f"int t_{i};  /* scratch: 0 between steps (hidden vars forbid -DBFS) */")
    invs = [(p.name, _expr(p.expr, names)) for p in system.properties if p.kind == ALWAYS]
    out += ["", "active proctype model() {"]
    if invs:  # one step, so SPIN stores exactly one state before the loop
        out.append("    d_step {")
        for name, src in invs:
            out.append(f"        assert({src}); /* {name} */")
        out.append("    }")
    out.append("    do")
    for b in system.bindings:
        ir = b.ir
        body = [f"    :: d_step {{ /* {b.label()} */", f"        {_expr(ir.guard, names)} ->"]
        for c, msg in ir.assertions:
            body.append(f"        assert({_expr(c, names)}); /* {msg} */")
        for i in sorted(ir.updates):
            body.append(f"        t_{i} = {_expr(ir.updates[i], names)};")
        for i in sorted(ir.updates):
            f = lay.fields[i]
            if not f.wrap_bits:
                body.append(f"        assert({f.lo} <= t_{i} && t_{i} <= {f.hi}); /* domain of {f.name} */")
            body.append(f"        {names[i]} = t_{i};")
        for i in sorted(ir.updates):
            body.append(f"        t_{i} = 0;")
        for name, src in invs:
            body.append(f"        assert({src}); /* {name} */")
        body.append("       }")
        out += body
    out += ["    od", "}", ""]
    return "\n".join(out)


def run_spin(system: System, workdir: str, extra_cc: tuple[str, ...] = (),
             hash_bits: int = 20) -> dict[str, int | float]:
    """Export, compile with SPIN (BFS, no partial-order reduction) and run.

    Returns SPIN's own figures: states stored, transitions, errors, and seconds of
    the verifier run (not the compile).  Raises FileNotFoundError if spin or cc is missing.
    """
    import os
    import shutil
    import subprocess
    import time

    for tool in ("spin", "cc"):
        if shutil.which(tool) is None:
            raise FileNotFoundError(tool)
    pml = os.path.join(workdir, "model.pml")
    with open(pml, "w") as fh:
        fh.write(to_promela(system))
    subprocess.run(["spin", "-a", "model.pml"], cwd=workdir, check=True, capture_output=True)
    subprocess.run(["cc", "-O2", "-DNOREDUCE", "-DBFS", "-DSAFETY", "-DVECTORSZ=4096", *extra_cc,
                    "-o", "pan", "pan.c"], cwd=workdir, check=True, capture_output=True)
    t0 = time.perf_counter()
    r = subprocess.run(["./pan", "-E", "-c0", f"-w{hash_bits}"], cwd=workdir, capture_output=True, text=True)
    el = time.perf_counter() - t0

    def grab(pattern: str) -> int:
        m = re.search(pattern, r.stdout)
        if not m:
            raise RuntimeError(f"unexpected SPIN output: {r.stdout[-500:]}")
        return int(m.group(1))

    return {"states": grab(r"(\d+) states, stored"), "transitions": grab(r"(\d+) transitions"),
            "errors": grab(r"errors: (\d+)"), "seconds": round(el, 3)}
