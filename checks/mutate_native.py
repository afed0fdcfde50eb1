"""``ppcheck mutate`` on the native backend: every mutant of a configuration in one C build.

:func:`prepare` traces each mutant's action again per configuration (only that action:
:func:`~ppcheck.spec.mutation.retrace_action`), keeps what differs from the original, and
compiles the configuration's mutants into mutant schemata (:mod:`.native.schemata`): one
build per configuration (or a few, at most :data:`BATCH_BINDINGS` bindings each), instead of
one per mutant.  :func:`run_mutant` then decides each mutant with the verdicts of
:func:`.mutate.run_mutant`:

1. configurations where the mutated action fires in the original first, cheapest first, then
   the others; in each, *same IR* (nothing to do), or the exact equivalence test in C (the
   same successors on every reachable state of the original), or a search without symmetry
   that stops at the first violation of a kernel property (an action assertion, a value out
   of its domain; a vacuous witness or an action that no longer fires when complete);
2. only for a mutant nothing killed: the kernel ``leads_to`` properties (the C search checks
   safety only) on the Python explorer, then the proof lemmas in C (``killed_by_lemma``).

``split_rmw`` mutants add scratch fields (another layout): they take :func:`.mutate.run_mutant`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ppcheck.spec.expr import SpecError
from ppcheck.spec.model import ALWAYS, LEADS_TO, SOMETIMES, TRANSITION
from ppcheck.spec.mutation import Mutation, build_mutant, retrace_action

from . import mutate as mt
from .native.schemata import Schema, Variant, ir_hash, variant
from .verdict import ACTION_ASSERTIONS, is_failure

#: bindings per schema build (the C runtime keeps a coverage counter per binding on the stack
#: of each search thread)
BATCH_BINDINGS = 6000


@dataclass
class Prepared:
    """The schemata of every configuration and where each mutant is in them."""

    probe: mt.Probe
    schemas: list[Schema] = field(default_factory=list)
    #: (configuration, mutant index) -> (schema, mutant id in it); absent: the same IR there
    where: dict[tuple[str, int], tuple[Schema, int]] = field(default_factory=dict)
    #: configuration -> its first schema (the original's reachable states and coverage)
    first: dict[str, Schema] = field(default_factory=dict)
    fired: dict[str, set[str]] = field(default_factory=dict)
    cost: dict[str, int] = field(default_factory=dict)  # states of the original, no symmetry
    invalid: dict[int, str] = field(default_factory=dict)
    fallback: set[int] = field(default_factory=set)  # split_rmw: the Python path
    seconds: dict[str, float] = field(default_factory=dict)
    traced: set[tuple[str, int]] = field(default_factory=set)  # (configuration, mutant) built


def config_order(pr: mt.Probe, m: Mutation) -> list[str]:
    """Where to run a mutant: the configurations where its action fires in the original
    first, cheapest first (a kill comes fast), then the others."""
    return [b.config.name for b in sorted(pr.bases, key=lambda b: (m.site.action not in b.fired,
                                                                  b.run.states))]


def _variants(pr: mt.Probe, base: mt.Base, mutants: list[tuple[int, Mutation]],
              prep: Prepared) -> dict[int, Variant]:
    memo: dict[int, str] = {}
    hashes = {b.label(): ir_hash(b, memo) for b in base.system.bindings}
    out: dict[int, Variant] = {}
    for i, m in mutants:
        if m.operator == "split_rmw" or i in prep.invalid:
            continue
        prep.traced.add((base.config.name, i))
        try:
            if m.operator == "swap_steps":
                sysm = build_mutant(pr.model, m, base.config, base.system)
                v = variant(base.system, hashes, memo, sysm.bindings, None)
            else:
                new, hits = retrace_action(base.system, pr.model, m)
                v = variant(base.system, hashes, memo, new, {m.site.action}) if hits else None
        except SpecError as e:
            prep.invalid[i] = f"{base.config.name}: {e}"
            continue
        if v is not None:
            out[i] = v
    return out


def prepare(pr: mt.Probe, mutants: list[tuple[int, Mutation]], jobs: int = 1,
            note: Callable[[str], None] | None = None,
            configs: dict[int, list[str]] | None = None) -> Prepared:
    """Trace every mutant in every configuration (or in its ``configs``) and compile the
    schemata (``jobs`` builds at a time); explore each schema's original once, before the
    workers fork."""
    prep = Prepared(pr)
    prep.fallback = {i for i, m in mutants if m.operator == "split_rmw"}
    plans: list[tuple[str, Any, dict[int, Variant]]] = []
    for base in pr.bases:
        t0 = time.perf_counter()
        here = [(i, m) for i, m in mutants
                if configs is None or base.config.name in configs.get(i, ())]
        vs = _variants(pr, base, here, prep)
        batch: dict[int, Variant] = {}
        size = len(base.system.bindings)
        for i in sorted(vs):
            n = len(vs[i].bindings)
            if batch and size + n > BATCH_BINDINGS:
                plans.append((base.config.name, base, batch))
                batch, size = {}, len(base.system.bindings)
            batch[i] = vs[i]
            size += n
        if batch or not plans or plans[-1][0] != base.config.name:
            plans.append((base.config.name, base, batch))
        prep.seconds[f"trace {base.config.name}"] = time.perf_counter() - t0
    for i in prep.invalid:  # a mutant invalid in one configuration is invalid
        for _, _, batch in plans:
            batch.pop(i, None)
    if note:
        note(f"{len(plans)} schema builds for {len(pr.bases)} configurations "
             f"({sum(len(b) for _, _, b in plans)} mutant-configurations that differ from the original)")

    def make(plan: tuple[str, Any, dict[int, Variant]]) -> tuple[str, Schema, dict[int, int]]:
        cfg, base, batch = plan
        ids = {i: k for k, i in enumerate(sorted(batch), start=1)}
        return cfg, Schema(base.system, {ids[i]: v for i, v in batch.items()}), ids

    with ThreadPoolExecutor(max(1, jobs)) as ex:
        built = list(ex.map(make, plans))
    for cfg, sch, ids in built:
        prep.schemas.append(sch)
        prep.seconds[f"build {cfg}"] = prep.seconds.get(f"build {cfg}", 0.0) + sch.build_seconds
        t0 = time.perf_counter()
        orig = sch.explore_original()
        prep.seconds[f"original {cfg}"] = prep.seconds.get(f"original {cfg}", 0.0) + (
            time.perf_counter() - t0)
        if orig.violated or not orig.complete:  # pragma: no cover - the probe passed
            raise mt.OriginalFails(f"{cfg}: the schema's original differs from the probe's "
                                   f"({orig.violated or orig.reason})")
        prep.first.setdefault(cfg, sch)
        prep.fired[cfg] = orig.fired
        prep.cost[cfg] = orig.states
        for i, k in ids.items():
            prep.where[(cfg, i)] = (sch, k)
    return prep


def _names(sch: Schema, lemma: bool) -> set[str]:
    return {p.name for p in sch.system.properties
            if p.lemma == lemma and p.kind in (ALWAYS, SOMETIMES, TRANSITION)}


def run_mutant(prep: Prepared, m: Mutation, budget: float, index: int = 0,
               prior: mt.MutantResult | None = None, final: bool = True) -> mt.MutantResult:
    """One mutant's verdict from the schemata (see the module docstring), over the
    configurations ``prep`` traced it in.  ``prior``: its verdicts in the configurations an
    earlier round ran (not killed there); ``final`` False: stop before the survivor checks
    (a later round runs the other configurations)."""
    pr = prep.probe
    if index in prep.fallback:
        return mt.run_mutant(pr, m, budget, index)
    t0 = time.perf_counter()
    spent = prior.seconds if prior is not None else 0.0
    deadline = t0 + budget - spent
    res = mt.MutantResult(index, m.id, m.site.action, m.operator, m.site.where, m.site.text,
                          m.label, mt.SURVIVED)
    if prior is not None:
        res.per_config = dict(prior.per_config)
    if index in prep.invalid:
        res.status, res.detail = mt.INVALID, prep.invalid[index]
        return res
    bases = {b.config.name: b for b in pr.bases}
    order = [c for c in config_order(pr, m)
             if (c, index) in prep.traced and c not in res.per_config]
    # the configurations an earlier round found holding, for the survivor checks
    held = [(c, *prep.where[(c, index)]) for c, v in res.per_config.items()
            if v == "holds" and (c, index) in prep.where]
    incomplete = ""
    equivalent = sum(v in ("same IR", "same successors", mt.DEAD_EQUIV) for v in res.per_config.values())
    for cfg in order:
        left = deadline - time.perf_counter()
        if left <= 0:
            incomplete = "budget spent"
            break
        got = prep.where.get((cfg, index))
        if got is None:
            res.per_config[cfg] = "same IR"
            equivalent += 1
            continue
        sch, k = got
        if sch.equivalent(k):
            res.per_config[cfg] = "same successors"
            equivalent += 1
            continue
        if sch.equivalent_dead(k):
            res.per_config[cfg] = mt.DEAD_EQUIV
            equivalent += 1
            continue
        kernel = _names(sch, False)
        out = sch.search(k, kernel, timeout=left, max_states=max(200_000, 50 * prep.cost[cfg]))
        oos = sch.system.out_of_scope
        kill = None
        if out.violated:
            kill = (out.violated, "violated")
        elif out.complete:
            sometimes = [p.name for p in sch.system.properties
                         if p.kind == SOMETIMES and p.name in kernel]
            vac = sorted(n for n in sometimes if n not in out.found and n not in oos)
            reached = sorted(n for n in sometimes if n in out.found and n in oos)
            lost = sorted(prep.fired[cfg] - out.fired)
            if vac:
                kill = (vac[0], "vacuous: never reached in the complete state space")
            elif reached:
                kill = (reached[0], f"declared out of scope in {cfg} ({oos[reached[0]]}) but reached")
            elif lost:
                kill = (f"coverage:{lost[0]}", f"action {lost[0]} never fires (it does in the original)")
        if kill:
            res.status, res.config, res.property, res.detail = mt.KILLED, cfg, kill[0], kill[1]
            res.per_config[cfg] = f"killed by {kill[0]}"
            break
        if not out.complete:
            incomplete = f"{cfg}: {out.reason}"
            res.per_config[cfg] = "incomplete"
            break
        res.per_config[cfg] = "holds"
        held.append((cfg, sch, k))
    if res.status == mt.SURVIVED and not incomplete and not final:
        res.seconds = spent + time.perf_counter() - t0
        return res
    if res.status == mt.SURVIVED:
        if incomplete:
            res.status, res.detail = mt.INCOMPLETE, incomplete
        elif equivalent == len(bases):
            res.status = mt.EQUIVALENT
            res.detail = mt.equivalent_detail(res.per_config)
        else:
            res.detail = "every kernel property holds, and the state graph differs"
            _survivor(prep, m, res, held, deadline)
    res.seconds = spent + time.perf_counter() - t0
    return res


def _survivor(prep: Prepared, m: Mutation, res: mt.MutantResult,
              held: list[tuple[str, Schema, int]], deadline: float) -> None:
    """What the C search does not check, for a mutant it did not kill: the kernel leads_to
    properties (Python explorer), then the proof lemmas."""
    pr = prep.probe
    bases = {b.config.name: b for b in pr.bases}
    for cfg, sch, _ in held:
        live = [p.name for p in sch.system.properties if p.kind == LEADS_TO and not p.lemma]
        left = deadline - time.perf_counter()
        if not live or left <= 0:
            continue
        base = bases[cfg]
        sysm = build_mutant(pr.model, m, base.config, base.system)
        run = mt._explore(sysm, timeout=left, properties=[*live, ACTION_ASSERTIONS],
                          max_states=max(200_000, 50 * base.run.states))
        bad = [r for r in run.results if is_failure(r)]
        if bad:
            res.status, res.config, res.property = mt.KILLED, cfg, bad[0].name
            res.detail = f"{bad[0].status}: {bad[0].detail}".rstrip(": ")
            res.per_config[cfg] = f"killed by {bad[0].name}"
            return
        if not run.complete:
            res.status, res.detail = mt.INCOMPLETE, f"{cfg}: {run.reason}"
            return
    for cfg, sch, k in held:
        left = deadline - time.perf_counter()
        names = _names(sch, True)
        if not names or left <= 0:
            continue
        out = sch.search(k, names, timeout=left)
        if out.violated:
            res.status, res.config, res.property = mt.BY_LEMMA, cfg, out.violated
            res.detail = "only a proof lemma notices"
            return


_WORK: dict[str, Any] = {}


def _work(i: int) -> mt.MutantResult:
    prep, muts, budget = _WORK["prep"], _WORK["mutants"], _WORK["budget"]
    try:
        return run_mutant(prep, muts[i][1], budget, muts[i][0], _WORK["prior"].get(muts[i][0]),
                          _WORK["final"])
    except KeyboardInterrupt:
        raise
    except Exception as e:  # noqa: BLE001 - one mutant's engine error is its verdict, not a crash
        m = muts[i][1]
        return mt.MutantResult(muts[i][0], m.id, m.site.action, m.operator, m.site.where,
                               m.site.text, m.label, mt.INVALID, detail=f"{type(e).__name__}: {e}")


def run_all(pr: mt.Probe, mutants: list[tuple[int, Mutation]], budget: float, jobs: int = 1,
            progress: Callable[[mt.MutantResult, int, int], None] | None = None,
            note: Callable[[str], None] | None = None) -> tuple[list[mt.MutantResult], bool]:
    """:func:`.mutate.run_all` on the schemata: prepare (in this process), then the mutants in
    a seeded shuffled order (a run cut short is a uniform sample), ``jobs`` forked workers."""
    out: list[mt.MutantResult] = []
    # round 1: each mutant in its first configuration only (most are killed there: tracing
    # and building the other configurations for them would be wasted); round 2: the rest,
    # in every configuration (those of round 1 are re-traced for the survivor checks only)
    first = {i: config_order(pr, m)[:1] for i, m in mutants}
    done, interrupted = _round(pr, mutants, budget, jobs, progress, note, first, {}, len(mutants))
    out = [r for r in done if r.status != mt.SURVIVED or r.index in pr_final(done)]
    rest = [(i, m) for i, m in mutants if i not in {r.index for r in out}]
    if rest and not interrupted:
        prior = {r.index: r for r in done if r.index in {i for i, _ in rest}}
        more, interrupted = _round(pr, rest, budget, jobs, progress, note, None, prior,
                                   len(mutants), len(out))
        out += more
    out.sort(key=lambda r: r.index)
    return out, interrupted


def pr_final(results: list[mt.MutantResult]) -> set[int]:
    """The survivors of round 1 that are final: a split_rmw mutant ran on the Python path."""
    return {r.index for r in results if r.operator == "split_rmw"}


def _round(pr: mt.Probe, mutants: list[tuple[int, Mutation]], budget: float, jobs: int,
           progress: Callable[[mt.MutantResult, int, int], None] | None,
           note: Callable[[str], None] | None, configs: dict[int, list[str]] | None,
           prior: dict[int, mt.MutantResult], total: int, base: int = 0
           ) -> tuple[list[mt.MutantResult], bool]:
    """One round of :func:`run_all`: prepare (in this process), then run the mutants."""
    out: list[mt.MutantResult] = []
    try:
        prep = prepare(pr, mutants, jobs, note, configs)
    except KeyboardInterrupt:
        return out, True
    final = configs is None
    _WORK.update(prep=prep, mutants=mutants, budget=budget, prior=prior, final=final)
    n = len(mutants)

    def report(r: mt.MutantResult) -> None:
        out.append(r)
        if progress and (final or r.status != mt.SURVIVED or r.operator == "split_rmw"):
            progress(r, base + sum(1 for x in out if final or x.status != mt.SURVIVED
                                   or x.operator == "split_rmw"), total)

    try:
        interrupted = mt.run_shuffled(_work, n, jobs, report, maxtasksperchild=200)
    finally:
        _WORK.clear()
    return out, interrupted
