"""The seed designs against their recorded manifest, and every stored seed counterexample.

``seeds_manifest.json`` is written by ``python -m ppcheck.checks.seeds_manifest --update``
from real runs.  Each entry is re-run here and must match exactly (verdicts, state and
transition counts, depth, trace lengths, fingerprints, ratios, diff summaries); entries
that took longer than :data:`SLOW` seconds when recorded run only with ``-m slow`` (the full
re-check is ``python -m ppcheck.checks.seeds_manifest``).
Every trace the manifest names must exist, replay, and have a markdown explanation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from seed_bugs import SEED_BUGS, SeedBug

from ppcheck.checks.replay import replay
from ppcheck.checks.seeds_manifest import (
    PAIRS,
    PLAN,
    SLOW,
    comparable,
    describe,
    pair_key,
    record_pair,
    record_run,
    run_key,
)
from ppcheck.checks.traces import load_trace

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "seeds_manifest.json"
CE = ROOT / "counterexamples"


def _data():
    import json

    return json.loads(MANIFEST.read_text())


DATA = _data()


HINT = ("re-record from real runs: python -m ppcheck.checks.seeds_manifest --update --seed {seed} "
        "(seeds 002 and 004 derive from models/mainline/ and follow its changes)")


def _mark(entry):
    return [pytest.mark.slow] if entry.get("seconds", 0) > SLOW else []


RUNS = [pytest.param(k, marks=_mark(v), id=k) for k, v in sorted(DATA["runs"].items())]
PAIR_ENTRIES = [pytest.param(k, marks=_mark(v), id=k) for k, v in sorted(DATA["pairs"].items())]
TRACES = sorted({t for v in DATA["runs"].values() for t in v["traces"]})


def test_manifest_covers_the_plan():
    assert {run_key(m, c) for _, m, c in PLAN} == set(DATA["runs"])
    assert {pair_key(a, b, c) for _, a, b, c in PAIRS} == set(DATA["pairs"])


def _skip_unless_slow(entry, request):
    if entry.get("seconds", 0) > SLOW and "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip(f"recorded at {entry['seconds']} s: run with -m slow (its traces replay anyway)")


@pytest.mark.parametrize("key", RUNS)
def test_run_matches_manifest(key, request):
    want = DATA["runs"][key]
    _skip_unless_slow(want, request)
    got = record_run(want["seed"], want["model"], want["config"], out_dir=None)
    got["traces"] = want["traces"]
    assert comparable(got) == comparable(want), (
        describe(comparable(want), comparable(got)) + "\n" + HINT.format(seed=want["seed"]))


@pytest.mark.parametrize("key", PAIR_ENTRIES)
def test_diff_matches_manifest(key, request):
    want = DATA["pairs"][key]
    _skip_unless_slow(want, request)
    got = record_pair(want["seed"], want["a"], want["b"], want["config"])
    assert comparable(got) == comparable(want), (
        describe(comparable(want), comparable(got)) + "\n" + HINT.format(seed=want["seed"]))


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

    for key, e in DATA["runs"].items():
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


def _seed_violation(bug: SeedBug):
    from ppcheck.checks.explorer import Explorer
    from ppcheck.spec import build

    ex = Explorer(build(bug.model, bug.config), symmetry=True, properties=[bug.prop],
                  stop_at_first=True, timeout=120)
    return ex.run(), ex


@pytest.mark.parametrize("bug", SEED_BUGS, ids=lambda b: f"{b.model.__name__}-{b.prop}")
def test_seed_bug_shortest_counterexample(bug):
    """A seeded bug breaks the property it was written for, with the pinned shortest trace;
    the design it modifies keeps the property in the same configuration (its manifest entry)."""
    r, ex = _seed_violation(bug)
    res = {x.name: x for x in r.results}[bug.prop]
    assert res.status == "violated", res.detail
    tr = ex.traces[bug.prop]
    assert (tr.length, tr.steps[-1].action) == (bug.length, bug.last)
    base = next(c for c in bug.model.__mro__[1:] if getattr(c, "name", None) in
                {v["model"] for v in DATA["runs"].values()})
    want = DATA["runs"][run_key(base.name, bug.config)]["verdicts"]
    assert want[bug.prop] == "holds", (base.name, bug.config, want[bug.prop])


def test_every_seed_property_of_issue_10_has_a_seeded_bug():
    props = {"pp_frag_count_accounting", "no_leaked_page", "no_double_recycle",
             "pooled_pages_count_one", "no_bh_lock_in_hardirq", "no_self_deadlock",
             "alloc_cache_single_owner", "locality_holds_until_push",
             "destroyed_pool_never_local", "net_iov_no_page_ops"}
    assert props <= {b.prop for b in SEED_BUGS}
