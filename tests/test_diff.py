"""``ppcheck diff``: verdict changes, projected behaviours, observation traces, coverage."""

from __future__ import annotations

import json

import expected
import pytest

from ppcheck.checks.diff import diff, diff_command
from ppcheck.checks.replay import replay
from ppcheck.checks.traces import load_trace
from ppcheck.models import get_model
from ppcheck.models.toys import Increment, IncrementLock
from ppcheck.spec import SpecError


def test_lock_removed_gives_lost_update_with_shortest_trace(tmp_path):
    d = diff(IncrementLock, Increment, out_dir=tmp_path)
    changes = {c["property"]: (c["a"], c["b"]) for c in d.verdict_changes}
    assert changes["no_lost_update"] == ("holds", "violated")
    assert changes["lock_released"] == ("holds", None)  # a property only A has
    [new] = d.new_violations
    assert new["property"] == "no_lost_update" and new["length"] == 4
    assert d.exit_code == 1
    # the trace written for the new violation replays on B
    tr = load_trace(new["trace_file"])
    assert tr.model == "increment" and replay(tr).steps == 4
    # B (no lock) has 3 projected states A lacks: both threads between read and write
    assert (d.states["only_a"], d.states["only_b"]) == (0, 3)
    assert d.transitions["only_a"] == 0 and d.transitions["only_b"] == 3
    assert d.observables_dropped == ["locked"]
    assert d.equivalence["equivalent"] is False and d.equivalence["only_in"] == "B"
    assert not d.behaviours_equal


def test_reverse_direction_is_not_a_new_violation_but_the_base_fails():
    d = diff(Increment, IncrementLock)
    assert d.new_violations == [] and d.base_fails and d.exit_code == 1
    assert [f["property"] for f in d.base_failures] == ["no_lost_update"]
    assert (d.states["only_a"], d.states["only_b"]) == (3, 0)
    assert d.equivalence["only_in"] == "A"


def test_a_model_is_equivalent_to_itself():
    d = diff(IncrementLock, IncrementLock)
    assert d.verdict_changes == [] and d.coverage == []
    assert d.behaviours_equal and d.exit_code == 0
    d = diff(Increment, Increment)  # equal, but the base fails: not a clean answer
    assert d.behaviours_equal and d.base_fails and d.exit_code == 1


def test_budget_makes_the_diff_incomplete():
    d = diff(Increment, IncrementLock, max_states=3)
    assert not d.complete and d.exit_code == 3
    assert d.equivalence["equivalent"] is None


def test_unknown_configuration_is_a_usage_error():
    with pytest.raises(SpecError):
        diff(Increment, IncrementLock, config="nope")


def test_json_output(capsys):
    code = diff_command(IncrementLock, Increment, None, {}, None, None, True)
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["exit_code"] == 1
    assert out["new_violations"][0]["property"] == "no_lost_update"
    assert out["behaviours_equal"] is False


def test_text_output_names_the_new_violation(capsys):
    diff_command(IncrementLock, Increment, None, {}, None, None, False)
    out = capsys.readouterr().out
    assert "NEW in B: no_lost_update violated" in out
    assert "observation traces: DIFFER" in out


# -- page_pool pairs ----------------------------------------------------------------------


def test_refcnt0_rfc_changes_the_ring_refcount():
    d = diff(get_model("pp000_refcnt1"), get_model("pp000_refcnt0"))
    rings = [ex["observables"] for ex in d.states["examples_only_b"]]
    # the RFC has ring pages at refcount 0, the refcnt==1 design never does
    assert any(any(k.endswith(".loc") and v == "RING" and o[k[:-4] + ".refcnt"] == 0
                   for k, v in o.items()) for o in rings)
    assert {c["property"] for c in d.verdict_changes} >= {"action_assertions"}


def test_skb_coalesce_adopting_the_bit_is_a_new_violation():
    """(the recorded ``ppcheck diff``, which test_manifest re-runs)"""
    d = expected.entry("diffs", "pp001_v5..pp001_coalesce_adopt/default")
    assert "buddy_pages_clean" in d["new_violations"]
    assert d["exit_code"] == 1


def test_netmem_split_is_equivalent_and_the_check_fails_on_a_real_change():
    a = get_model("pp002_page")
    eq = diff(a, get_model("pp002_netmem"), "nodestroy")
    assert eq.verdict_changes == [] and eq.behaviours_equal
    assert eq.coverage == []  # renamed actions compared under their old names
    assert len(eq.renamed) >= 10
    slip = diff(a, get_model("pp002_netmem_no_direct"), "nodestroy")
    assert not slip.behaviours_equal
    assert slip.equivalence["equivalent"] is False and slip.states["only_a"] > 0
    assert any(c["change"] == "never fires in B" for c in slip.coverage)


def test_same_verdict_different_failure_is_reported():
    """v5 and the coalesce-or design without the pp_magic test both fail action_assertions,
    with different NULL dereferences: a page->pp cleared by a concurrent recycle, and a page
    that never was a page_pool page."""
    d = diff(get_model("pp001_v5"), get_model("pp001_coalesce_or_no_magic"))
    f = {x["property"]: x for x in d.failure_changes}["action_assertions"]
    assert "concurrent recycle" in f["a"] and "not a page_pool page" in f["b"]


def test_keeping_page_pp_removes_only_the_null_dereference():
    """(the recorded ``ppcheck diff``, which test_manifest re-runs)"""
    d = expected.entry("diffs", "pp001_v5..pp001_keep_page_pp/default")
    # since seed 001's magic test is its own step (issue 16), keeping page->pp no longer removes
    # the NULL dereference: the other holder's release clears it between the magic test and
    # the page->pp read (docs/seeds/001.md), so both designs violate action_assertions
    assert d["verdict_changes"] == {}
    # over the page observables the two designs behave the same
    assert d["behaviours_equal"] and d["new_violations"] == []
