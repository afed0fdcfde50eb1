"""The seed designs: every stored seed counterexample, the verdicts the manifest records.

The ``seeds``, ``diffs`` and ``bugs`` sections of ``manifest.json`` are recorded by
``ppcheck manifest --update`` from real runs and re-run by ``tests/test_manifest.py``; these
tests check what they establish.  Every trace the manifest names must exist, replay, and have
a markdown explanation.
"""

from __future__ import annotations

import expected
import pytest
from seed_bugs import SEED_BUGS, SeedBug

from ppcheck.checks.replay import replay
from ppcheck.checks.seeds_manifest import PAIRS, PLAN, pair_key, run_key
from ppcheck.checks.traces import load_trace

ROOT = expected.ROOT
CE = ROOT / "counterexamples"
RUNS = expected.DATA["seeds"]
TRACES = sorted({t for v in RUNS.values() for t in v["traces"]})


def test_manifest_covers_the_plan():
    assert {run_key(m, c) for _, m, c in PLAN} == set(RUNS)
    assert {pair_key(a, b, c) for _, a, b, c in PAIRS} == set(expected.DATA["diffs"])


@pytest.mark.parametrize("name", TRACES)
def test_stored_counterexample_replays_and_is_explained(name):
    path = CE / name
    tr = load_trace(path)
    res = replay(tr)
    assert res.steps == len(tr.steps) - 1
    md = path.with_suffix(".md")
    assert md.exists(), f"{md.name}: every stored counterexample needs an explanation"
    assert tr.property in md.read_text()


def test_every_violation_has_a_trace_and_safe_designs_hold():
    from ppcheck.models import get_model

    for key, e in RUNS.items():
        violated = sorted(p for p, s in e["verdicts"].items() if s == "violated")
        assert len(violated) == len(e["traces"]), key
        model = get_model(e["model"])
        # a default (safe) design holds in its default configurations; another recorded
        # configuration may show a finding its page documents (pp000_merged/process_alloc)
        if getattr(model, "default", False) and e["config"] in model.default_configs:
            bad = {p: s for p, s in e["verdicts"].items() if s in ("violated", "unknown")}
            assert not bad, f"{key} is a default (safe) design but {bad}"


def test_truesize_ratios_tell_the_reviewers_story():
    """Seed 003: under the 32-bit DMA overlap the posted unification reports ``size`` for a
    whole page (ratio 4) where the old design reported the page (1); mainline's
    page_pool_alloc() charges a whole page to requests above half a page."""
    from fractions import Fraction

    from ppcheck.checks.quantity import max_ratios
    from ppcheck.models import get_model

    before = max_ratios(get_model("pp003_before"), "overlap")
    v2 = max_ratios(get_model("pp003_unified_v2"), "overlap")
    assert before["whole_page_ratio"].max == 1 and v2["whole_page_ratio"].max == 4
    assert v2["whole_page_ratio"].complete and v2["whole_page_ratio"].path
    main = max_ratios(get_model("pp003_mainline"), "mixed")
    assert main["large_request_ratio"].max == 1
    assert max_ratios(get_model("pp003_unified_v2"), "mixed")["large_request_ratio"].max == Fraction(4, 3)


@pytest.mark.parametrize("bug", SEED_BUGS, ids=lambda b: f"{b.model.__name__}-{b.prop}")
def test_seed_bug_shortest_counterexample(bug: SeedBug):
    """A seeded bug breaks the property it was written for, its shortest trace ending in the
    action it names (recorded, re-run by test_manifest); the design it modifies keeps the
    property in the same configuration (its manifest entry)."""
    rec = expected.bug(bug)
    assert rec["verdict"] == "violated" and rec["length"] > 0 and rec["last"] == bug.last
    base = next(c for c in bug.model.__mro__[1:] if getattr(c, "name", None) in
                {v["model"] for v in RUNS.values()})
    want = expected.seed_run(base.name, bug.config)["verdicts"]
    assert want[bug.prop] == "holds", (base.name, bug.config, want[bug.prop])


def test_every_seed_property_of_issue_10_has_a_seeded_bug():
    props = {"pp_frag_count_accounting", "no_leaked_page", "no_double_recycle",
             "pooled_pages_count_one", "no_bh_lock_in_hardirq", "no_self_deadlock",
             "alloc_cache_single_owner", "locality_holds_until_push",
             "destroyed_pool_never_local", "net_iov_no_page_ops"}
    assert props <= {b.prop for b in SEED_BUGS}
