"""Z3 engine benchmark: BMC depth reached in a budget, and time to prove each invariant.

Usage::

    python benchmarks/z3_bench.py [MODEL[:CONFIG] ...] [--budget 60] [--chc-budget 60]
    python benchmarks/z3_bench.py --levers [MODEL[:CONFIG]] [--budget 60] [--only NAME]

Default: the mainline model's default configuration (``base``) and its larger ``bench``
configuration.  For each it prints

* the BMC depth fully checked (every safety property, all at once) within ``--budget`` s,
  and the seconds each depth took;
* k-induction (all obligations together, Houdini-pruned, ``--budget`` s): when each
  invariant was proved and at which k, or that it was not;
* CHC/Spacer: one query per invariant, each with ``--chc-budget`` s.

``--levers`` instead runs BMC under each lever of ``benchmarks/z3_levers.py`` (selection
encodings, solvers, sound pruning constraints) for ``--budget`` CPU seconds each and prints
the depth reached and the CPU seconds of the last depths (docs/z3.md, "BMC levers").

Targets on the default mainline configuration: BMC depth 30 within 60 s; every
invariant proved (k-induction or CHC) within 60 s.
"""

from __future__ import annotations

import argparse
import time

import z3

from ppcheck.checks.bmc import Deadline, Unrolling
from ppcheck.checks.chc import fixedpoint
from ppcheck.checks.kinduction import run_kinduction
from ppcheck.checks.verdict import PROVED
from ppcheck.checks.z3_encode import Encoding
from ppcheck.models import get_model
from ppcheck.spec.model import build

DEFAULT = ["mainline:base", "mainline:bench"]


def bench(target: str, budget: float, chc_budget: float) -> None:
    name, _, cfg = target.partition(":")
    model = get_model(name)
    cfg = cfg or model.default_configs[0]
    t0 = time.perf_counter()
    system = build(model, cfg)
    enc = Encoding(system)
    obs = [o for o in enc.obligations() if not o.witness]
    print(f"== {name}/{cfg}: {len(system.layout.fields)} fields, {len(system.bindings)} bindings, "
          f"{len(obs)} safety obligations (encoded in {time.perf_counter() - t0:.1f}s)", flush=True)

    d = Deadline(budget)
    u = Unrolling(enc)
    per: list[float] = []
    open_ = list(obs)
    while True:
        t1 = time.perf_counter()
        r = u.check_depth(open_, d)
        if r.unknown:
            break
        per.append(time.perf_counter() - t1)
        open_ = [o for o in open_ if o.name not in {h.ob.name for h in r.hits}]
        if r.no_path or d.expired():
            break
        u.extend()
    print(f"BMC: depth {len(per) - 1} fully checked in {d.elapsed():.1f}s (load {_load()}); "
          "seconds per depth: " + " ".join(f"{t:.1f}" for t in per), flush=True)

    d = Deadline(budget)
    er = run_kinduction(enc, obs, None, d)
    print(f"k-induction ({budget:g}s budget, base case to depth {er.depth}):")
    for ob in obs:
        o = er.outcomes[ob.name]
        when = f"{o.created - d.t0:6.1f}s" if o.status == PROVED else "     - "
        print(f"  {ob.name:34} {when}  {o.status:15} {o.detail}", flush=True)

    print(f"CHC/Spacer ({chc_budget:g}s per invariant):")
    for ob in obs:
        fp, inv = fixedpoint(enc)
        fp.set("timeout", int(chc_budget * 1000))
        t1 = time.perf_counter()
        try:
            r = str(fp.query(z3.And(inv(*enc.x), z3.Not(ob.ok))))
        except z3.Z3Exception as e:
            r = f"unknown ({e})"
        verdict = {"unsat": "proved", "sat": "violated"}.get(r, r)
        print(f"  {ob.name:34} {time.perf_counter() - t1:6.1f}s  {verdict}", flush=True)


def _load() -> str:
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:  # pragma: no cover - not Linux
        return "?"


def levers(target: str, budget: float, only: str = "") -> None:
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from z3_levers import LEVERS, run_bitwuzla, run_cvc5, run_lever

    name, _, cfg = target.partition(":")
    model = get_model(name)
    system = build(model, cfg or model.default_configs[0])
    print(f"== BMC levers on {name}/{system.config.name}, {budget:g} CPU s each, all safety "
          "obligations at once")
    print(f"{'lever':58} {'depth':>5} {'cpu s':>6} {'wall s':>6}  load  CPU s of the last 5 depths")
    runs = [(lv.name, lambda lv=lv: run_lever(system, lv, budget)) for lv in LEVERS]
    runs += [("Bitwuzla (pre-processing off)", lambda: run_bitwuzla(system, budget, False)),
             ("Bitwuzla (pre-processing on)", lambda: run_bitwuzla(system, budget, True)),
             ("Bitwuzla (pre-processing on), proved lemmas assumed",
              lambda: run_bitwuzla(system, budget, True, True)),
             ("cvc5", lambda: run_cvc5(system, budget))]
    for name, run in runs:
        if only and only.lower() not in name.lower():
            continue
        r = run()
        if r is None:
            how = "pip install cvc5" if name == "cvc5" else "pip install -e '.[solvers]'"
            print(f"{name}: not installed ({how}), skipped")
            continue
        tail = " ".join(f"{t:.1f}" for t in r.per_depth[-5:])
        print(f"{r.lever:58} {r.depth:5} {r.cpu:6.1f} {r.wall:6.1f}  {_load():>4}  {tail}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="*", default=DEFAULT, help="MODEL[:CONFIG]")
    ap.add_argument("--budget", type=float, default=60.0, help="BMC and k-induction budget (s)")
    ap.add_argument("--chc-budget", type=float, default=60.0, help="Spacer budget per invariant (s)")
    ap.add_argument("--levers", action="store_true", help="compare the BMC levers instead")
    ap.add_argument("--only", default="", help="with --levers: only the levers whose name has this")
    a = ap.parse_args()
    if a.levers:
        for t in a.targets if a.targets != DEFAULT else ["mainline:base"]:
            levers(t, a.budget, a.only)
        return
    for t in a.targets:
        bench(t, a.budget, a.chc_budget)


if __name__ == "__main__":
    main()
