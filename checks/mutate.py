"""Model mutation testing: how many planted bugs in the actions do the properties catch?

:func:`probe` traces the model once in each default configuration with a site recorder
(:class:`~ppcheck.spec.mutation.Recorder`) and explores the original, which must pass;
:func:`plan` lists the mutants (one operator at one site); :func:`run_mutant` builds one
mutant in every configuration and explores it with a time budget.  A mutant is

* ``killed``: some configuration reports a violation of a kernel property (or of an action
  assertion), a vacuous witness, or an action of the original that never fires;
* ``killed_by_lemma``: only a proof lemma (:func:`~ppcheck.spec.lemma`) notices: the kernel
  properties alone miss it;
* ``equivalent``: detected, never guessed: in every configuration the mutant's IR has the
  original's fingerprint, or its successors are identical on every reachable state of the
  original (so the reachable state graph is the same);
* ``survived``: complete runs, nothing noticed, not equivalent;
* ``incomplete``: the budget ran out first; ``invalid``: the mutant does not build.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ppcheck.spec.expr import SpecError, digest
from ppcheck.spec.model import Binding, Config, Model, System, build
from ppcheck.spec.mutation import (
    Mutation,
    Recorder,
    Site,
    SiteInfo,
    active,
    build_mutant,
    field_pattern,
    rel,
    step_pairs,
)

from .explorer import Concrete, Explorer
from .verdict import ACTION_ASSERTIONS, VACUOUS, VIOLATED, RunResult, is_failure

KILLED, BY_LEMMA, SURVIVED, EQUIVALENT, INCOMPLETE, INVALID = (
    "killed", "killed_by_lemma", "survived", "equivalent", "incomplete", "invalid")
STATUSES = (KILLED, BY_LEMMA, SURVIVED, EQUIVALENT, INCOMPLETE, INVALID)


class OriginalFails(Exception):
    """The model already fails (or does not finish) unmutated: nothing to measure."""


@dataclass
class Base:
    """The original model in one configuration: its system, verdict and reachable states."""

    config: Config
    system: System
    run: RunResult
    states: list[int]
    symmetry: bool
    fired: set[str]
    _concrete: Concrete | None = None
    _hashes: dict[str, str] | None = None
    _full: list[int] | None = None  # every reachable state, no symmetry (dead-field test)
    _dead: Any = None  # the dead-field analysis of the original

    def full_states(self) -> list[int]:
        """Every reachable state of the original without symmetry reduction."""
        if self._full is None:
            if not self.symmetry:
                self._full = self.states
            else:
                ex = Explorer(self.system, symmetry=False)
                ex.run()
                self._full = list(ex.states)
        return self._full

    def dead_analysis(self) -> Any:
        if self._dead is None:
            from .deadfields import Analysis

            self._dead = Analysis(self.system, states=self.full_states())
        return self._dead

    def concrete(self) -> Concrete:
        if self._concrete is None:
            self._concrete = Concrete(self.system)
        return self._concrete


@dataclass
class Probe:
    """What one traced and explored run of the original gives the mutants."""

    model: type[Model]
    bases: list[Base]
    sites: list[SiteInfo]
    pairs: list[tuple[str, str, str]]  # swap_steps: (A, B, pc field name)
    lemmas: set[str]
    seconds: float = 0.0


def probe(model: type[Model], configs: list[Config], timeout: float | None = None,
          backend: str = "python") -> Probe:
    """Trace ``model`` in each configuration recording mutation sites, and explore the
    original (with the explorer ``backend``); a model that already fails (or does not
    finish) is refused."""
    from .native import make_explorer

    t0 = time.perf_counter()
    rec = Recorder(model)
    bases: list[Base] = []
    pairs: list[tuple[str, str, str]] = []
    for cfg in configs:
        with active(rec):
            system = build(model, cfg)
        ex, _ = make_explorer(system, backend, timeout=timeout)
        run = ex.run()
        bad = [r.name for r in run.results if is_failure(r)]
        if bad:
            raise OriginalFails(f"{model.name}/{cfg.name} already fails ({', '.join(bad)}): mutation "
                            "testing needs a model whose properties hold")
        if not run.complete:
            raise OriginalFails(f"{model.name}/{cfg.name}: the original is incomplete ({run.reason})")
        fired = {a for a, n in run.coverage.items() if n > 0}
        bases.append(Base(cfg, system, run, list(ex.states), ex.symmetry, fired))
        names = system.layout.names()
        for a, b, fi in step_pairs(system):
            if (a, b, field_pattern(names[fi])) not in pairs:
                pairs.append((a, b, field_pattern(names[fi])))
    order = {d.name: i for i, d in enumerate(model.action_defs())}
    enabled = {b.action for base in bases for b in base.system.bindings}
    # an action statically disabled in every configuration (a feature they all turn off) has
    # no binding to mutate: its sites would only give "same IR" equivalents
    sites = [rec.sites[k] for k in rec.order if rec.sites[k].action in enabled]
    sites.sort(key=lambda si: order.get(si.action, 1 << 20))  # stable: appearance order within
    lemmas = {p.name for b in bases for p in b.system.properties if p.lemma}
    bases.sort(key=lambda b: b.run.seconds)  # cheapest configuration first: kills come fast
    return Probe(model, bases, sites, pairs, lemmas, time.perf_counter() - t0)


def plan(pr: Probe) -> list[Mutation]:
    """Every mutant of the probed model, in a stable order (action, site, operator)."""
    out: list[Mutation] = []
    ordinals: dict[tuple[str, str], int] = {}

    def site(si: SiteInfo) -> Site:
        k = (si.action, si.kind)
        n = ordinals.get(k, 0)
        ordinals[k] = n + 1
        return Site(si.action, si.kind, n, si.file, si.line, si.key, si.source)

    per_action: dict[str, list[Mutation]] = {}
    for si in pr.sites:
        st = site(si)
        ms = per_action.setdefault(si.action, [])
        if si.kind == "require":
            for j, (cid, text) in enumerate(si.conjuncts.items()):
                ms.append(Mutation(st, "drop_require", (*cid, j), f"drop require conjunct `{text}`"))
        elif si.kind == "update":
            ms.append(Mutation(st, "drop_update", None, f"drop update `{si.text}`"))
            for (i, delta), text in si.consts.items():
                ms.append(Mutation(st, "const", (i, delta), f"constant {text}"))
            if si.rmw and si.single and si.field_sort != "bool":
                ms.append(Mutation(st, "split_rmw", None,
                                   f"split read-modify-write `{si.text}` (write back later)"))
        elif si.kind == "cmp":
            ms.append(Mutation(st, "negate", None, f"negate `{si.text}`"))
        elif si.kind == "const":
            for (i, delta), text in si.consts.items():
                ms.append(Mutation(st, "const", (i, delta), f"constant {text}"))
    for a, b, fname in pr.pairs:  # from the systems' bindings: enabled actions only
        d = next(x for x in pr.model.action_defs() if x.name == a)
        code = d.fn.__code__
        st = Site(a, "steps", ordinals.get((a, "steps"), 0), rel(code.co_filename),
                  code.co_firstlineno)
        ordinals[(a, "steps")] = st.ordinal + 1
        per_action.setdefault(a, []).append(
            Mutation(st, "swap_steps", (b, fname), f"swap steps {a} and {b} (pc {fname})"))
    for d in pr.model.action_defs():
        out.extend(per_action.get(d.name, []))
    return out


@dataclass
class MutantResult:
    index: int
    id: str
    action: str
    operator: str
    where: str
    line: str
    label: str
    status: str
    config: str | None = None
    property: str | None = None
    detail: str = ""
    seconds: float = 0.0
    per_config: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["timing"] = {"seconds": round(d.pop("seconds"), 3)}
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> MutantResult:
        d = dict(d)
        d["seconds"] = d.pop("timing", {}).get("seconds", 0.0)
        d.pop("probe", None)
        return cls(**d)


#: a configuration's verdict when the mutant is equivalent only modulo dead fields
DEAD_EQUIV = "same successors modulo dead fields"


def equivalent_detail(per_config: dict[str, str]) -> str:
    """Why an equivalent mutant is: the IR, the successors, or the successors up to dead
    fields (the finer rule) in some configuration."""
    if all(v == "same IR" for v in per_config.values()):
        return "same IR in every configuration"
    if any(v == DEAD_EQUIV for v in per_config.values()):
        return "identical successors modulo dead fields on every reachable state"
    return "identical successors on every reachable state"


def binding_hashes(system: System) -> dict[str, str]:
    """Each binding's label -> a hash of its traced IR (guard, updates, assertions)."""
    memo: dict[int, str] = {}

    def eh(e: Any) -> str:
        return digest(e, memo)

    out = {}
    for b in system.bindings:
        parts = [eh(b.ir.guard)] + [f"{i}={eh(e)}" for i, e in sorted(b.ir.updates.items())]
        parts += [f"{m}:{eh(c)}" for c, m in b.ir.assertions]
        out[b.label()] = "/".join(parts)
    return out


def same_successors(base: Base, sysm: System, deadline: float, split: bool = False) -> bool | None:
    """Detects equivalence in one configuration: True when every binding the mutation changed
    (by IR) has the original's successor and error on every reachable state of the original
    (then, by induction from the same initial states, the reachable state graph is the same);
    False at the first state where one differs; None when out of time.

    A split_rmw mutant adds scratch fields (packed above the original's, zero when nothing is
    pending), so an original state is the mutant state with nothing pending.  Under symmetry
    the states are representatives: a mutant that is not symmetric is never called equivalent.
    """
    lb, lm = base.system.layout, sysm.layout
    if lm.names()[:len(lb.names())] != lb.names() or sysm.init_states != base.system.init_states:
        return False
    if any((f.lo, f.hi, f.offset) != (g.lo, g.hi, g.offset) for f, g in zip(lb.fields, lm.fields)):
        return False
    if base._hashes is None:
        base._hashes = binding_hashes(base.system)
    hb, hm = base._hashes, binding_hashes(sysm)
    changed = [b for b in sysm.bindings if hb.get(b.label()) != hm[b.label()]]
    if any(lbl not in hm for lbl in hb):
        return False
    if not changed:
        return True
    from .compile import compile_system
    from .symmetry import asymmetry, random_states

    by_label = {b.label(): b for b in base.system.bindings}
    common = [b for b in changed if b.label() in by_label]
    extra = [b for b in changed if b.label() not in by_label]  # split_rmw's write-backs
    mut_sub = _subsystem(sysm, common + extra)
    orig_sub = _subsystem(base.system, [by_label[b.label()] for b in common])
    if base.symmetry and not split:
        comp = compile_system(mut_sub, True)
        sample = base.states[:: max(1, len(base.states) // 200)] + random_states(sysm, 40)
        if asymmetry(mut_sub, comp, sample):
            return False
    fo, fm = Concrete(orig_sub).succ_raw, Concrete(mut_sub).succ_raw
    for n, s in enumerate(base.states):
        if fo(s) != fm(s):
            return False
        if n % 1024 == 0 and time.perf_counter() > deadline:
            return None
    return True


def same_successors_dead(base: Base, sysm: System, deadline: float) -> bool | None:
    """Equivalence modulo dead fields (:mod:`.deadfields`) in one configuration: on every
    reachable state of the original (no symmetry), every binding has the original's error
    and, after clearing the fields dead in its successor, the original's successor; every
    observed transition property gives the same verdict.  None when out of time."""
    from .deadfields import project

    lb, lm = base.system.layout, sysm.layout
    if lm.names() != lb.names() or sysm.init_states != base.system.init_states:
        return False
    if any((f.lo, f.hi, f.offset) != (g.lo, g.hi, g.offset) for f, g in zip(lb.fields, lm.fields)):
        return False
    by_label = {b.label(): b for b in base.system.bindings}
    if sorted(by_label) != sorted(b.label() for b in sysm.bindings):
        return False
    if base._hashes is None:
        base._hashes = binding_hashes(base.system)
    hb, hm = base._hashes, binding_hashes(sysm)
    changed = [b for b in sysm.bindings if hb.get(b.label()) != hm[b.label()]]
    if not changed:
        return True
    an = base.dead_analysis()
    keyed = [(b, b.label()) for b in base.system.bindings]
    keyed += [(b, f"{b.label()}#{hm[b.label()]}") for b in changed]
    facts = an.facts(keyed)
    if not facts.any():
        return False
    ctl, rows = an.masks(facts)
    orig_sub = _subsystem(base.system, [by_label[b.label()] for b in changed])
    mut_sub = _subsystem(sysm, changed)
    co, cm, cb = Concrete(orig_sub), Concrete(mut_sub), base.concrete()
    for n, s in enumerate(base.full_states()):
        a, b = co.succ_raw(s), cm.succ_raw(s)
        if len(a) != len(b):
            return False
        for (ia, ta, ea), (ib, tb, eb) in zip(sorted(a, key=lambda x: x[0]), sorted(b, key=lambda x: x[0])):
            if ia != ib or ea != eb or (ta is None) != (tb is None):
                return False
            if ta is None:
                continue
            for k in an.transition_ids:
                if cb.holds(k, s, ta) != cb.holds(k, s, tb):
                    return False
            if project(ta, base.system, ctl, rows) != project(tb, base.system, ctl, rows):
                return False
        if n % 1024 == 0 and time.perf_counter() > deadline:
            return None
    return True


@contextlib.contextmanager
def _compile_once() -> Iterator[None]:
    """While a mutant is explored, compile each (system, symmetry, properties) once: the
    explorer compiles the symmetric code for its soundness probe and again for the search."""
    from . import explorer

    orig = explorer.compile_system
    memo: dict[tuple, Any] = {}

    def cached(system: System, symmetry: bool = True, active: set[str] | None = None) -> Any:
        k = (id(system), bool(symmetry), None if active is None else frozenset(active))
        if k not in memo:
            memo[k] = orig(system, symmetry, active)
        return memo[k]

    explorer.compile_system = cached  # type: ignore[assignment]
    try:
        yield
    finally:
        explorer.compile_system = orig  # type: ignore[assignment]


def _explore(system: System, **kw: Any) -> RunResult:
    with _compile_once():
        return Explorer(system, **kw).run()


def _subsystem(system: System, bindings: list[Binding]) -> System:
    """``system`` with only ``bindings`` (renumbered) and no properties: cheap to compile."""
    bs = [Binding(i, b.action, b.args, b.who, b.ir) for i, b in enumerate(bindings)]
    return dataclasses.replace(system, bindings=bs, properties=[])


def _lemma_kill(pr: Probe, held: list[tuple[Base, System]], symmetry: bool, deadline: float
                ) -> tuple[str, str] | None:
    """For a mutant the kernel properties miss: does a proof lemma notice it somewhere?"""
    for base, sysm in held:
        names = [p.name for p in sysm.properties if p.lemma]
        left = deadline - time.perf_counter()
        if not names or left <= 0:
            continue
        run = _explore(sysm, symmetry=symmetry, timeout=left, stop_at_first=True, properties=names,
                       max_states=max(200_000, 50 * base.run.states))
        bad = [r.name for r in run.results if r.status == VIOLATED and r.name in pr.lemmas]
        if bad:
            return base.config.name, bad[0]
    return None


def run_mutant(pr: Probe, m: Mutation, budget: float, index: int = 0) -> MutantResult:
    """Build one mutant in every configuration (cheapest first) within ``budget`` seconds:
    equivalent there if its successors are the original's on every reachable state, else
    explored to find what notices it."""
    t0 = time.perf_counter()
    deadline = t0 + budget
    res = MutantResult(index, m.id, m.site.action, m.operator, m.site.where, m.site.text, m.label,
                       SURVIVED)
    held: list[tuple[Base, System]] = []
    incomplete = ""
    equivalent = 0
    split = m.operator == "split_rmw"
    symmetry = not split  # the scratch fields name records: no permuting
    for base in pr.bases:
        cfg = base.config.name
        if deadline - time.perf_counter() <= 0:
            incomplete = "budget spent"
            break
        try:
            sysm = build_mutant(pr.model, m, base.config, base.system)
        except SpecError as e:
            res.status, res.detail = INVALID, f"{cfg}: {e}"
            res.seconds = time.perf_counter() - t0
            return res
        if sysm.fingerprint == base.system.fingerprint:
            res.per_config[cfg] = "same IR"
            equivalent += 1
            continue
        same = same_successors(base, sysm, deadline, split)
        if same is None:
            incomplete = f"{cfg}: budget spent in the equivalence check"
            break
        if same:
            res.per_config[cfg] = "same successors"
            equivalent += 1
            continue
        if not split:
            same = same_successors_dead(base, sysm, deadline)
            if same is None:
                incomplete = f"{cfg}: budget spent in the equivalence check"
                break
            if same:
                res.per_config[cfg] = DEAD_EQUIV
                equivalent += 1
                continue
        cap = max(200_000, 50 * base.run.states)
        left = deadline - time.perf_counter()
        kernel_names = [p.name for p in sysm.properties if not p.lemma] + [ACTION_ASSERTIONS]
        run = _explore(sysm, symmetry=symmetry, timeout=max(left, 0.01), stop_at_first=True,
                       max_states=cap, properties=kernel_names)
        kernel = [r for r in run.results if is_failure(r)]
        if kernel:
            r = min(kernel, key=lambda r: (r.status != VIOLATED, r.trace_length or 0))
            res.status, res.config, res.property = KILLED, cfg, r.name
            res.detail = f"{r.status}: {r.detail}" if r.status == VACUOUS else (r.detail or "violated")
            res.per_config[cfg] = f"killed by {r.name}"
            break
        if not run.complete:
            incomplete = f"{cfg}: {run.reason}"
            res.per_config[cfg] = "incomplete"
            break
        lost = sorted(a for a in base.fired if run.coverage.get(a, 0) == 0)
        if lost:
            res.status, res.config, res.property = KILLED, cfg, f"coverage:{lost[0]}"
            res.detail = f"action {lost[0]} never fires (it does in the original)"
            res.per_config[cfg] = f"killed: {lost[0]} never fires"
            break
        res.per_config.setdefault(cfg, "holds")
        held.append((base, sysm))
    if res.status == SURVIVED:
        if incomplete:
            res.status, res.detail = INCOMPLETE, incomplete
        elif equivalent == len(pr.bases):
            res.status = EQUIVALENT
            res.detail = equivalent_detail(res.per_config)
        else:
            res.detail = "every kernel property holds, and the state graph differs"
            lemma_hit = _lemma_kill(pr, held, symmetry, deadline)
            if lemma_hit is not None:
                res.status, res.config, res.property = BY_LEMMA, lemma_hit[0], lemma_hit[1]
                res.detail = "only a proof lemma notices"
    res.seconds = time.perf_counter() - t0
    return res


_WORK: dict[str, Any] = {}


def probe_key(pr: Probe) -> str:
    """What a logged verdict depends on: the model's IR in every configuration probed."""
    return ",".join(sorted(f"{b.config.name}:{b.system.fingerprint}" for b in pr.bases))


def _work(i: int) -> MutantResult:
    pr, muts, budget = _WORK["probe"], _WORK["mutants"], _WORK["budget"]
    try:
        return run_mutant(pr, muts[i][1], budget, muts[i][0])
    except KeyboardInterrupt:
        raise
    except Exception as e:  # noqa: BLE001 - one mutant's engine error is its verdict, not a crash
        m = muts[i][1]
        return MutantResult(muts[i][0], m.id, m.site.action, m.operator, m.site.where, m.site.text,
                            m.label, INVALID, detail=f"{type(e).__name__}: {e}")


def run_all(pr: Probe, mutants: list[tuple[int, Mutation]], budget: float, jobs: int = 1,
            progress: Callable[[MutantResult, int, int], None] | None = None
            ) -> tuple[list[MutantResult], bool]:
    """Run every (index, mutant); with ``jobs`` > 1 in a fork pool.  Returns the results (in
    plan order) and whether Ctrl-C cut the run short."""
    _WORK.update(probe=pr, mutants=mutants, budget=budget)
    out: list[MutantResult] = []
    n = len(mutants)

    def report(r: MutantResult) -> None:
        out.append(r)
        if progress:
            progress(r, len(out), n)

    try:
        interrupted = run_shuffled(_work, n, jobs, report, maxtasksperchild=25)
    finally:
        _WORK.clear()
    out.sort(key=lambda r: r.index)
    return out, interrupted


def run_shuffled(work: Callable[[int], Any], n: int, jobs: int, report: Callable[[Any], None],
                 maxtasksperchild: int) -> bool:
    """``report(work(i))`` for every i < n in a seeded shuffle (a run cut short is a uniform
    sample of the plan, not its first actions), in a fork pool of ``jobs`` workers when
    ``jobs`` > 1.  Returns whether Ctrl-C cut it short."""
    order = list(range(n))
    random.Random(0).shuffle(order)
    try:
        if jobs <= 1 or n <= 1:
            for i in order:
                report(work(i))
        else:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(jobs, maxtasksperchild=maxtasksperchild) as pool:
                try:
                    for r in pool.imap_unordered(work, order):
                        report(r)
                except KeyboardInterrupt:
                    pool.terminate()
                    raise
    except KeyboardInterrupt:
        return True
    return False
