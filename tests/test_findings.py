"""docs/findings.md, issue 9.1: per-CPU pools.  The model fixes (findings 1 and 2) leave exactly
the kernel window of finding 3, whose stored traces are the shortest ones, and the proposed RCU
fix closes it."""

from __future__ import annotations

from pathlib import Path

import pytest
import shared

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.traces import load_trace
from ppcheck.models import get_model
from ppcheck.spec import build

CE = Path(__file__).resolve().parent.parent / "counterexamples"


def _run(model: str, cfg: str, **overrides):
    m = get_model(model)
    sysm = build(m, m.config(cfg, **overrides))
    return Explorer(sysm, symmetry=True).run()


def _violations(r) -> dict[str, int]:
    return {x.name: x.trace_length for x in r.results if x.status == "violated"}


def test_percpu_destroy_window_in_mainline():
    """Finding 3: only the late push and the leak it causes (and lemmas stating that no such
    state exists) are violated, at the pinned lengths."""
    v = _violations(_run("mainline", "percpu_destroy"))
    safety = {k: n for k, n in v.items() if not k.startswith("lemma_")}
    assert safety == {"no_cache_push_after_destroy": 14, "no_leaked_page": 16}


@pytest.mark.parametrize("cfg", ["base", "process"])
def test_issue_commands_leave_only_the_window(cfg):
    """Findings 1 and 2: `--set pool_cpuid=0` (and no NAPI, as page_pool_create_percpu()
    callers do) on base/process no longer breaks alloc_cache_single_owner."""
    v = _violations(_run("mainline", cfg, pool_cpuid=0, napi_linked=False))
    assert "alloc_cache_single_owner" not in v
    assert v.get("no_cache_push_after_destroy") == 14


@shared.group("mainline_rcu_napi_local/percpu_destroy/sym")
def test_rcu_fix_holds_on_percpu_destroy():
    # test_manifest's runs/mainline_rcu_napi_local/percpu_destroy/sym: one search (tests/shared.py)
    r, _ = shared.explore(get_model("mainline_rcu_napi_local"), "percpu_destroy")
    assert r.complete and not _violations(r)
    assert {x.name for x in r.results if x.status == "vacuous"} == set()


@pytest.mark.parametrize("prop", ["no_cache_push_after_destroy", "no_leaked_page"])
def test_stored_traces_are_the_findings(prop):
    tr = load_trace(CE / f"mainline-percpu_destroy-{prop}.json")
    assert tr.model == "mainline" and tr.property == prop
    assert (CE / f"mainline-percpu_destroy-{prop}.md").exists()
