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

from ppcheck.spec.expr import Expr
from ppcheck.spec.model import ALWAYS, System

_INFIX = {"add": "+", "sub": "-", "mul": "*", "eq": "==", "ne": "!=", "lt": "<", "le": "<="}


def _ident(name: str) -> str:
    return "v_" + re.sub(r"[^A-Za-z0-9]", "_", name).strip("_")


def _expr(e: Expr, names: list[str]) -> str:
    op = e.op
    if op == "const":
        return str(e.value)
    if op == "var":
        return names[e.value]
    if op == "next":
        raise ValueError("two-state expressions are not exported")
    a = [_expr(x, names) for x in e.args]
    if op in _INFIX:
        return f"({a[0]} {_INFIX[op]} {a[1]})"
    if op == "neg":
        return f"(-{a[0]})"
    if op == "mod":  # Python's % (non-negative for a positive modulus); C's may be negative
        return f"((({a[0]}) % {a[1]} + {a[1]}) % {a[1]})"
    if op == "and":
        return "(" + " && ".join(a) + ")"
    if op == "or":
        return "(" + " || ".join(a) + ")"
    if op == "not":
        return f"(!{a[0]})"
    if op == "ite":
        return f"({a[0]} -> {a[1]} : {a[2]})"
    if op == "min":
        return f"(({a[0]} < {a[1]}) -> {a[0]} : {a[1]})"
    if op == "max":
        return f"(({a[0]} > {a[1]}) -> {a[0]} : {a[1]})"
    raise ValueError(f"operator {op} has no Promela form")


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
