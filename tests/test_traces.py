"""The trace format: round trips, replay, and every way a trace can be wrong."""

from __future__ import annotations

import json

import pytest

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.render import render_text
from ppcheck.checks.replay import replay
from ppcheck.checks.traces import TraceError, load_trace, parse_trace, write_trace
from ppcheck.models.toys import Increment, Slots
from ppcheck.spec import build


@pytest.fixture()
def lost_update(tmp_path):
    ex = Explorer(build(Increment), out_dir=tmp_path)
    ex.run()
    return tmp_path / "increment-default-no_lost_update.json"


def test_counterexample_is_written_and_round_trips(lost_update):
    tr = load_trace(lost_update)
    again = parse_trace(json.loads(json.dumps(tr.to_json())))
    assert again.to_json() == tr.to_json()
    assert tr.model == "increment" and tr.property == "no_lost_update" and tr.length == 4
    assert tr.config == {"name": "default", "params": {"threads": 2}}


def test_replay_confirms_the_violation(lost_update):
    res = replay(load_trace(lost_update))
    assert res.steps == 4 and "false in the last state" in res.claim


def test_show_names_who_did_what(lost_update):
    text = render_text(load_trace(lost_update))
    assert "step 1  [threads[" in text and "read(t=" in text
    assert "x: 0 -> 1" in text


def _mutate(path, fn):
    obj = json.loads(path.read_text())
    fn(obj)
    return parse_trace(obj)


@pytest.mark.parametrize("mutation, match", [
    (lambda o: o["steps"][3]["state"].__setitem__("x", 0), "different state"),
    (lambda o: o.update(fingerprint="0" * 16), "stale trace"),
    (lambda o: o["steps"].insert(2, dict(o["steps"][1])), "not enabled"),
    (lambda o: o["steps"][1].__setitem__("action", "frobnicate"), "no action"),
    (lambda o: o["steps"][0]["state"].__setitem__("x", 2), "not an initial state"),
    (lambda o: o.update(model="nosuchmodel"), "unknown model"),
    (lambda o: o["steps"][2]["state"]["threads"][0].__setitem__("pc", "NOPE"), "not a member"),
    (lambda o: o.update(steps=o["steps"][:3]), "holds in the last state"),
])
def test_tampered_traces_do_not_replay(lost_update, mutation, match):
    with pytest.raises(Exception, match=match):
        replay(_mutate(lost_update, mutation))


@pytest.mark.parametrize("obj, match", [
    ([], "not a JSON object"),
    ({"format": "other"}, "not a ppcheck trace"),
    ({"format": "ppcheck-trace", "version": 99}, "version 99"),
    ({"format": "ppcheck-trace", "version": 1}, "missing field 'steps'"),
    ({"format": "ppcheck-trace", "version": 1, "steps": []}, "at least the initial"),
    ({"format": "ppcheck-trace", "version": 1, "steps": [{"action": "x", "state": {}}]}, "initial state"),
])
def test_malformed_traces_are_rejected(obj, match):
    with pytest.raises(TraceError, match=match):
        parse_trace(obj)


def test_malformed_json_file(tmp_path):
    p = tmp_path / "t.json"
    p.write_text("{nope")
    with pytest.raises(TraceError, match="malformed JSON"):
        load_trace(p)


def test_asymmetric_property_turns_symmetry_off():
    """A property naming slots 0 and 1 breaks the symmetry: reduction would miss it."""
    from ppcheck.spec import always

    class SlotsBug(Slots):
        name = "slots_asym"

        @always
        def never_two_used(self, s):
            return ~(s.slots[0].used & s.slots[1].used)

    ex = Explorer(build(SlotsBug), symmetry=True)
    run = ex.run()
    assert not run.symmetry and "never_two_used" in run.symmetry_note
    assert ex.traces["never_two_used"].length == 2


def test_symmetric_trace_is_concrete_and_replays():
    """A counterexample found under symmetry is rebuilt as a concrete, replayable run."""
    from ppcheck.spec import action, require

    class SlotsLeak(Slots):
        name = "slots_leak"

        @action(h=range(2), who="h")
        def release(self, s, h):  # seeded bug: forgets to clear `used`
            hd = s.holders[h]
            require(hd.slot != -1)
            hd.slot = -1

    sysm = build(SlotsLeak)
    ex = Explorer(sysm, symmetry=True)
    run = ex.run()
    assert run.symmetry and not run.symmetry_note
    tr = ex.traces["used_count"]
    assert [s.action for s in tr.steps[1:]] == ["grab", "release"]
    assert replay(tr, sysm).steps == 2


def test_write_is_atomic(tmp_path, lost_update):
    tr = load_trace(lost_update)
    out = write_trace(tr, tmp_path / "sub" / "x.json")
    assert out.exists() and not list((tmp_path / "sub").glob("*.tmp"))


def test_mermaid_and_html_views(lost_update):
    from ppcheck.checks.render import render_html, render_mermaid

    tr = load_trace(lost_update)
    mm = render_mermaid(tr)
    assert mm.startswith("sequenceDiagram") and mm.count("->>S:") == 4 and "x: 0 → 1" in mm
    page = render_html(tr)
    import re

    assert len(re.findall(r"<tr class=.?step", page)) == 1 + 4  # the initial state and 4 steps
    assert "write(t=" in page and "no_lost_update" in page and "id=failure" in page
