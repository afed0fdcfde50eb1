"""Export a System to Murphi, so Rumur (a CMurphi reimplementation) checks the very same model.

Generated from the traced IR, never by hand, in the way :mod:`.promela` is: one state
variable per layout field (``boolean`` for a Bool, a subrange ``lo..hi`` for every other
field: Int, a wrapping UInt, whose updates carry the IR's explicit ``mod``, a Ref with
``-1`` for NONE, and an Enum by its member numbers, listed in a comment), one
``startstate`` per initial state, one ``rule`` per action binding (its guard, then its
action assertions as ``assert``, then every update computed from the pre-state into a rule
local and assigned together, a domain ``assert`` before each assignment the IR does not wrap)
and one ``invariant`` per ``always`` property.

Rumur stores exactly the explorer's distinct states without symmetry (no process start
state, unlike SPIN) and reports an invariant or assertion violation where the explorer
reports one.  Not exported: witnesses, transition and progress properties (stated in a
comment at the top); symmetry (see :func:`symmetry_obstacle`: the IR names array elements
by constant indices, which a Murphi scalarset forbids).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ppcheck.spec.expr import BOOL, Expr
from ppcheck.spec.model import ALWAYS, System
from ppcheck.spec.schema import Enum

#: the type of a rule local holding an integer update before the domain check
WIDE = "-2147483647..2147483647"


def _ident(name: str) -> str:
    return "v_" + re.sub(r"[^A-Za-z0-9]", "_", name).strip("_")


def _string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', "'") + '"'


def _no_next(e: Expr, a: list[str], names: list[str]) -> str:
    raise ValueError("two-state expressions are not exported")


def _infix(sym: str) -> Callable[[Expr, list[str], list[str]], str]:
    return lambda e, a, names: f"({a[0]} {sym} {a[1]})"


def _const(e: Expr, a: list[str], names: list[str]) -> str:
    if e.sort == BOOL:
        return "true" if e.value else "false"
    return str(e.value) if e.value >= 0 else f"(0 - {-e.value})"


#: the Murphi (Rumur) form of each operator of :data:`~ppcheck.spec.expr.OPS`: ``(node,
#: argument sources, field identifiers) -> source``
OP_TABLE: dict[str, Callable[[Expr, list[str], list[str]], str]] = {
    "const": _const,
    "var": lambda e, a, names: names[e.value],
    "next": _no_next,
    **{op: _infix(sym) for op, sym in (("add", "+"), ("sub", "-"), ("mul", "*"), ("eq", "="),
                                         ("ne", "!="), ("lt", "<"), ("le", "<="))},
    "neg": lambda e, a, names: f"(0 - {a[0]})",
    # Python's % (non-negative for a positive modulus); Rumur's, like C's, may be negative
    "mod": lambda e, a, names: f"((({a[0]}) % {a[1]} + {a[1]}) % {a[1]})",
    "and": lambda e, a, names: "(" + " & ".join(a) + ")",
    "or": lambda e, a, names: "(" + " | ".join(a) + ")",
    "not": lambda e, a, names: f"(!{a[0]})",
    "ite": lambda e, a, names: f"({a[0]} ? {a[1]} : {a[2]})",
    "min": lambda e, a, names: f"(({a[0]} < {a[1]}) ? {a[0]} : {a[1]})",
    "max": lambda e, a, names: f"(({a[0]} > {a[1]}) ? {a[0]} : {a[1]})",
}


def expr(e: Expr, names: list[str]) -> str:
    """The Murphi source of one IR expression over the fields named ``names``."""
    row = OP_TABLE.get(e.op)
    if row is None:
        raise ValueError(f"operator {e.op} has no Murphi form")
    return row(e, [expr(x, names) for x in e.args], names)


def _type(f: Any) -> str:
    return "boolean" if f.sort == BOOL else f"{f.lo}..{f.hi}"


def _value(f: Any, v: int) -> str:
    if f.sort == BOOL:
        return "true" if v else "false"
    return str(v)


def symmetry_obstacle(system: System) -> str | None:
    """Why this system's symmetry cannot be written with Murphi scalarsets, or None when it
    has no symmetric array (nothing to write)."""
    arrays = [a for a in system.symmetric_arrays if len(system.layout.arrays[a].elements) > 1]
    if not arrays:
        return None
    lay = system.layout
    first = lay.fields[lay.arrays[arrays[0]].field_indices[0][0]].name
    return (f"the traced IR names the records of {', '.join(arrays)} by constant index (one rule "
            f"per binding over fields such as {first}, symbolic indexing traced as "
            "comparisons of a Ref with the constants 0..n-1, quantifiers unrolled into and/or/add "
            "over every record): a Murphi scalarset may only be indexed by and compared with "
            "values of its own type")


def to_murphi(system: System) -> str:
    """The system as a Murphi program (see the module docstring)."""
    lay = system.layout
    names = [_ident(f.name) for f in lay.fields]
    skipped = [p.name for p in system.properties if p.kind != ALWAYS]
    out = [
        f"-- ppcheck export of model {system.name}, configuration {system.config!r},",
        f"-- fingerprint {system.fingerprint}. Generated: do not edit.",
        "-- Invariants are invariants; action assertions and domains are asserts; not exported: "
        + (", ".join(skipped) or "nothing") + ".",
    ]
    if system.symmetric_arrays:
        why = symmetry_obstacle(system) or "no symmetric array of two or more records"
        out.append(f"-- No scalarsets (symmetry off): {why}.")
    out += ["", "var"]
    for f, n in zip(lay.fields, names):
        note = f.name
        if isinstance(f.ftype, Enum):
            note += ": " + " ".join(f"{m.name}={int(m)}" for m in f.ftype.cls)
        elif f.wrap_bits:
            note += f": u{f.wrap_bits}, wraps"
        elif f.ref_target:
            note += f": index into {f.ref_target}" + (", -1 for none" if f.lo < 0 else "")
        out.append(f"  {n} : {_type(f)};  -- {note}")
    for k, s in enumerate(system.init_states):
        out += ["", f"startstate \"init {k}\"", "begin"]
        for f, n, v in zip(lay.fields, names, lay.unpack(s)):
            out.append(f"  {n} := {_value(f, v)};")
        out.append("end;")
    for b in system.bindings:
        ir = b.ir
        ups = sorted(ir.updates)
        out += ["", f"rule {_string(b.label())}", f"  {expr(ir.guard, names)}", "==>"]
        if ups:
            out.append("var")
            for i in ups:
                out.append(f"  t_{i} : {'boolean' if lay.fields[i].sort == BOOL else WIDE};")
        out.append("begin")
        for c, msg in ir.assertions:
            out.append(f"  assert {expr(c, names)} {_string(msg)};")
        for i in ups:
            out.append(f"  t_{i} := {expr(ir.updates[i], names)};")
        for i in ups:
            f = lay.fields[i]
            if f.sort != BOOL and not f.wrap_bits:
                out.append(f"  assert ({f.lo} <= t_{i} & t_{i} <= {f.hi}) {_string('domain of ' + f.name)};")
            out.append(f"  {names[i]} := t_{i};")
        out.append("end;")
    for p in system.properties:
        if p.kind == ALWAYS:
            out += ["", f"invariant {_string(p.name)}", f"  {expr(p.expr, names)};"]
    out.append("")
    return "\n".join(out)


def rumur_available() -> bool:
    """True when ``rumur`` and a C compiler are installed."""
    import shutil

    return shutil.which("rumur") is not None and shutil.which("cc") is not None


def build_rumur(system: System, workdir: str, threads: int = 1, extra: tuple[str, ...] = ()) -> str:
    """Export, generate Rumur's verifier and compile it (``cc -O3 -march=native
    -fwhole-program``, the flags Rumur recommends); the verifier's path.

    Deadlock detection is off (a state without successors is not a violation here, as in the
    explorer); values are int_fast32_t (Rumur's default, the narrowest type of the declared ranges,
    would report an intermediate such as ``0 - 3`` over naturals as an overflow); ``threads``
    is the verifier's thread count.  Raises FileNotFoundError if rumur
    or cc is missing, ``subprocess.CalledProcessError`` if either fails.
    """
    import os
    import subprocess

    if not rumur_available():
        raise FileNotFoundError("rumur or cc")
    src = os.path.join(workdir, "model.m")
    with open(src, "w") as fh:
        fh.write(to_murphi(system))
    subprocess.run(["rumur", "--quiet", "--deadlock-detection", "off", "--threads", str(threads),
                    "--colour", "off", "--counterexample-trace", "off", "--value-type", "int32_t", *extra,
                    "--output", "model.c", "model.m"], cwd=workdir, check=True, capture_output=True)
    subprocess.run(["nice", "-n", "10", "cc", "-std=c11", "-O3", "-march=native", "-fwhole-program", "-mcx16",
                    "-o", "verifier", "model.c", "-lpthread"], cwd=workdir, check=True, capture_output=True)
    return os.path.join(workdir, "verifier")


def parse_rumur(stdout: str) -> dict[str, int]:
    """Rumur's own figures from its verifier's output: states, rules fired, errors."""
    m = re.search(r"(\d+) states, (\d+) rules fired", stdout)
    if not m:
        raise RuntimeError(f"unexpected Rumur output: {stdout[-500:]}")
    e = re.search(r"(\d+) error\(s\) found", stdout)
    errors = int(e.group(1)) if e else (0 if "No error found" in stdout else 1)
    return {"states": int(m.group(1)), "transitions": int(m.group(2)), "errors": errors}


def run_rumur(system: System, workdir: str, threads: int = 1) -> dict[str, Any]:
    """Build (see :func:`build_rumur`) and run Rumur's verifier once.

    Returns its states, rules fired, errors, the first error's message (or None) and the
    seconds of the verifier run (not the build).
    """
    import subprocess
    import time

    exe = build_rumur(system, workdir, threads)
    t0 = time.perf_counter()
    r = subprocess.run([exe], cwd=workdir, capture_output=True, text=True)
    el = time.perf_counter() - t0
    out = parse_rumur(r.stdout)
    m = re.search(r"(?:invariant|assertion) \"?([^\"\n]+?)\"? failed", r.stdout)
    return {**out, "message": m.group(1) if m else None, "exit": r.returncode, "seconds": round(el, 3),
            "stdout": r.stdout}
