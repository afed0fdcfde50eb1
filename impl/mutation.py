"""Mutation testing: each seeded implementation bug must be caught by conformance.

A *detector* is one of the conformance drivers run on a mutated implementation
(:data:`~ppcheck.impl.switches.MUTATIONS`): an exhaustive small scope
(:data:`~ppcheck.impl.explore.SCOPES`), a batch of random schedules on a mainline
configuration, or the Hypothesis machine.  A detector *kills* a mutation when it
reports a non-conformance (a step the spec does not allow, an invariant broken on the
abstraction, a WARN the spec has no counterpart for).  Every detector passes on the
unmutated implementation (the conformance tests say so), so a kill is the mutation's
doing.

``python benchmarks/mutation_report.py`` runs every detector on every mutation and
prints the kill table; ``tests/test_impl_mutations.py`` checks each mutation is
killed by its cheapest detector.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .conformance import NonConformance
from .explore import SCOPES, explore_scope, random_run
from .switches import MUTATIONS, Switches


@dataclass
class Kill:
    mutation: str
    detector: str
    killed: bool
    seconds: float
    message: str = ""


def scope_detector(name: str, depth: int | None = None) -> Callable[[Switches], str | None]:
    import dataclasses

    def run(sw: Switches) -> str | None:
        sc = SCOPES[name] if depth is None else dataclasses.replace(SCOPES[name], depth=depth)
        st = explore_scope(sc, sw)
        return st.failure[1] if st.failure else None

    run.__name__ = f"exhaustive:{name}"
    return run


def random_detector(config: str, seeds: int = 10, length: int = 300) -> Callable[[Switches], str | None]:
    from .machines import system_for

    def run(sw: Switches) -> str | None:
        for seed in range(seeds):
            try:
                random_run(system_for(config), seed, length, sw=sw)
            except NonConformance as e:
                return f"seed {seed}: {e}"
        return None

    run.__name__ = f"random:{config}x{seeds}"
    return run


def invariant_detector(config: str, seeds: int = 20, length: int = 300) -> Callable[[Switches], str | None]:
    """Random schedules that check only the spec's invariants on the abstraction (steps
    the spec does not allow are let through): what the properties alone catch."""
    from .machines import system_for

    def run(sw: Switches) -> str | None:
        for seed in range(seeds):
            try:
                random_run(system_for(config), seed, length, sw=sw, lenient=True)
            except NonConformance as e:
                return f"seed {seed}: {e}"
        return None

    run.__name__ = f"invariants-only:{config}x{seeds}"
    return run


def hypothesis_detector(config: str, examples: int = 100) -> Callable[[Switches], str | None]:
    def run(sw: Switches) -> str | None:
        from hypothesis import HealthCheck, Phase, settings
        from hypothesis.stateful import run_state_machine_as_test

        from .machines import machine_for

        try:
            run_state_machine_as_test(
                machine_for(config, sw),
                settings=settings(max_examples=examples, stateful_step_count=80, deadline=None,
                                  suppress_health_check=list(HealthCheck), database=None,
                                  phases=[Phase.generate], print_blob=False))
        except (NonConformance, AssertionError) as e:
            return str(e)
        return None

    run.__name__ = f"hypothesis:{config}x{examples}"
    return run


def detectors(ci: bool = True, invariants_only: bool = False) -> list[Callable[[Switches], str | None]]:
    """Cheapest first.  ``ci``: the bounds the test suite uses.  ``invariants_only``: add
    the detectors that check the spec's invariants only (for the report)."""
    return ([scope_detector(n, None if ci else max(SCOPES[n].depth, 40)) for n in SCOPES]
            + [random_detector(c, 6 if ci else 20) for c in ("base", "frag", "skb", "process", "rt")]
            + [hypothesis_detector(c, 60 if ci else 200) for c in ("base", "frag", "skb")]
            + ([invariant_detector(c) for c in ("base", "frag", "skb", "process", "rt")]
               if invariants_only else []))


def run_mutation(m: str, dets: list[Callable[[Switches], str | None]],
                 stop_at_first: bool = True) -> list[Kill]:
    """Run detectors on mutation ``m``; the kills (and misses) in order."""
    out = []
    for det in dets:
        t0 = time.perf_counter()
        msg = det(Switches(mutation=m))
        out.append(Kill(m, det.__name__, msg is not None, time.perf_counter() - t0, msg or ""))
        if msg is not None and stop_at_first:
            break
    return out


def report(ci: bool = False, stop_at_first: bool = False) -> list[Kill]:
    """Every mutation against every detector (the kill table)."""
    dets = detectors(ci)
    out: list[Kill] = []
    for m in MUTATIONS:
        out += run_mutation(m, dets, stop_at_first)
    return out


#: the cheapest detector that kills each mutation (tests/test_impl_mutations.py runs it;
#: benchmarks/mutation_report.py runs them all)
DESIGNATED: dict[str, str] = {
    "no_refcnt_check": "random:basex6",
    "no_clone_rule": "exhaustive:skb_clones_on_two_cpus",
    "unref_sub_before_read": "exhaustive:remote_free_vs_destroy",
    "unref_nonatomic": "exhaustive:frag_users_race",
    "no_producer_lock": "exhaustive:remote_free_vs_destroy",
    "release_skips_producer_lock": "exhaustive:remote_free_vs_destroy",
    "cache_ignores_full": "random:basex6",
    "napi_local_ignores_owner": "exhaustive:remote_free_vs_destroy",
    "no_direct_recycle_disable": "exhaustive:remote_free_vs_destroy",
    "return_skips_clear_pp_info": "exhaustive:remote_free_vs_destroy",
    "skip_release_cnt": "exhaustive:remote_free_vs_destroy",
    "unmap_untracked": "exhaustive:remote_free_vs_destroy",
}


def detector(name: str) -> Callable[[Switches], str | None]:
    """A CI detector by its report name (``exhaustive:<scope>``, ``random:<config>x<n>``,
    ``hypothesis:<config>x<n>``)."""
    for d in detectors(ci=True):
        if d.__name__ == name:
            return d
    raise KeyError(name)
