"""Model mutation testing (``ppcheck mutate``): toys with known answers.

increment_lock's properties kill every mutant; a toy with a field no property reads lets a
mutant survive; a redundant guard conjunct is detected equivalent (identical successors on
every reachable state); an atomic increment split in two loses an update; a tiny budget gives
incomplete; bad input is one line.
"""

from __future__ import annotations

import json
import textwrap

import jsonschema
import pytest

from ppcheck.checks import mutate as mt
from ppcheck.checks import mutate_report as mr
from ppcheck.checks.report import schema_text
from ppcheck.cli import main
from ppcheck.models import get_model
from ppcheck.spec import (
    Array,
    Bool,
    Int,
    Model,
    Record,
    action,
    all_,
    always,
    implies,
    lemma,
    require,
    sometimes,
)

# -- toys -------------------------------------------------------------------------------------


class WeakState(Record):
    x = Int(0, 2)
    stat = Int(0, 1)  # a statistic no property reads


class Weak(Model):
    """x counts to 2; ``stat`` is set but never checked; one guard conjunct is redundant."""

    name = "mutate_weak"
    State = WeakState

    @action
    def inc(self, s):
        require((s.x < 2) & (s.x <= 2))  # x <= 2 always holds: dropping it changes nothing
        s.x = s.x + 1
        s.stat = 1

    @always
    def x_small(self, s):
        return s.x <= 2

    @sometimes
    def reaches_two(self, s):
        return s.x == 2


class WeakLemma(Weak):
    """The same with a proof lemma that reads ``stat``: it notices, the kernel properties do not."""

    name = "mutate_weak_lemma"

    @lemma
    def lemma_stat_set(self, s):
        return implies(s.x > 0, s.stat == 1)


class Th(Record):
    done = Bool()


class AtomicState(Record):
    x = Int(0, 2)
    th = Array(Th, 2)


class AtomicInc(Model):
    """Two threads each do one atomic ``x += 1`` (atomic_inc()): no update is lost."""

    name = "mutate_atomic"
    State = AtomicState

    @action(t=range(2), who="t")
    def inc(self, s, t):
        require(~s.th[t].done)
        s.x = s.x + 1
        s.th[t].done = True

    @always
    def no_lost_update(self, s):
        return implies(all_(t.done for t in s.th), s.x == 2)

    @sometimes
    def all_done(self, s):
        return all_(t.done for t in s.th)


def _run(model, budget=30.0, jobs=1):
    pr = mt.probe(model, [model.config(c) for c in model.default_configs])
    muts = list(enumerate(mt.plan(pr)))
    res, interrupted = mt.run_all(pr, muts, budget, jobs)
    assert not interrupted
    return pr, res


def _by(res, status):
    return [r for r in res if r.status == status]


# -- the verdicts -------------------------------------------------------------------------------

def test_increment_lock_every_mutant_killed():
    pr, res = _run(get_model("increment_lock"), jobs=2)
    ops = {r.operator for r in res}
    assert {"drop_require", "drop_update", "negate", "const", "swap_steps"} <= ops
    assert len(res) >= 20
    assert _by(res, mt.SURVIVED) == [] and _by(res, mt.INCOMPLETE) == []
    assert mr.score(mr.counts(res)) == 1.0
    props = {r.property for r in _by(res, mt.KILLED)}
    assert {"no_lost_update", "lock_released"} <= props  # different properties do the killing
    swap = next(r for r in res if r.operator == "swap_steps")
    assert swap.status == mt.KILLED and swap.property == "no_lost_update"


def test_unchecked_field_survives_and_redundant_guard_is_equivalent():
    _, res = _run(Weak)
    survivors = {r.label for r in _by(res, mt.SURVIVED)}
    assert "drop update `stat = 1`" in survivors
    eq = _by(res, mt.EQUIVALENT)
    assert any(r.label == "drop require conjunct `(x <= 2)`" for r in eq), [r.label for r in eq]
    assert all(r.detail == "identical successors on every reachable state" for r in eq)
    # the mutants that change what x does are caught
    killed = {r.label for r in _by(res, mt.KILLED)}
    assert "drop require conjunct `(x < 2)`" in killed
    assert "drop update `x = (x + 1)`" in killed
    md = mr.markdown("mutate_weak", ["default"], res)
    assert "s.stat = 1" in md and "| **total** |" in md  # the survivor's source line


def test_a_mutant_only_a_lemma_notices_is_not_a_kill():
    _, res = _run(WeakLemma)
    r = next(r for r in res if r.label == "drop update `stat = 1`")
    assert r.status == mt.BY_LEMMA and r.property == "lemma_stat_set"
    c = mr.counts(res)
    assert c[mt.BY_LEMMA] >= 1 and mr.score(c) < 1.0


def test_split_read_modify_write_loses_an_update():
    _, res = _run(AtomicInc)
    split = [r for r in res if r.operator == "split_rmw"]
    assert len(split) == 1
    assert split[0].status == mt.KILLED and split[0].property == "no_lost_update", split[0]


def test_tiny_budget_is_incomplete_not_killed():
    pr = mt.probe(get_model("increment_lock"), [get_model("increment_lock").config("default")])
    m = mt.plan(pr)[0]
    r = mt.run_mutant(pr, m, 1e-9)
    assert r.status == mt.INCOMPLETE
    c = mr.counts([r])
    assert mr.score(c) == 0.0  # incomplete counts against the score


def test_a_model_that_already_fails_is_refused():
    m = get_model("increment")
    with pytest.raises(mt.OriginalFails, match="already fails"):
        mt.probe(m, [m.config("default")])


# -- the native backend: mutant schemata ------------------------------------------------------


@pytest.mark.parametrize("model", [get_model("increment_lock"), Weak, WeakLemma, AtomicInc],
                         ids=lambda m: m.name)
def test_schemata_give_the_python_verdicts(model):
    """Every mutant of each toy, one C build per configuration: the same verdict as the Python
    path (the killing property may differ: each reports the first violation it meets)."""
    from ppcheck.checks import mutate_native as mn
    from ppcheck.checks.native import unavailable

    if unavailable():
        pytest.skip(unavailable())
    pr, res = _run(model)
    muts = list(enumerate(mt.plan(pr)))
    nat, interrupted = mn.run_all(pr, muts, 30.0)
    assert not interrupted
    assert [(r.id, r.status) for r in nat] == [(r.id, r.status) for r in res]
    assert {r.status for r in nat} >= ({mt.KILLED, mt.SURVIVED, mt.EQUIVALENT} if model is Weak
                                       else {mt.KILLED})


def test_schema_switches_each_mutant_and_detects_equivalence():
    """A schema of Weak: the redundant-guard mutant is equivalent in C, ``stat = 1`` dropped is
    not (a different state graph), and the original explored through the schema is the
    original's (same states as the Python explorer)."""
    from ppcheck.checks import mutate_native as mn
    from ppcheck.checks.native import unavailable

    if unavailable():
        pytest.skip(unavailable())
    pr = mt.probe(Weak, [Weak.config("default")])
    muts = list(enumerate(mt.plan(pr)))
    prep = mn.prepare(pr, muts)
    sch = prep.first["default"]
    assert prep.cost["default"] == pr.bases[0].run.states
    by_label = {m.label: i for i, m in muts}
    redundant = prep.where[("default", by_label["drop require conjunct `(x <= 2)`"])]
    stat = prep.where[("default", by_label["drop update `stat = 1`"])]
    assert redundant[0].equivalent(redundant[1]) and not stat[0].equivalent(stat[1])
    out = sch.search(stat[1], {"x_small", "reaches_two"}, stop_at_first=False)
    assert out.complete and out.violated is None and out.found == {"reaches_two"}


# -- the command ----------------------------------------------------------------------------------

def test_cli_json_and_min_score(tmp_path, capsys):
    code = main(["mutate", "increment_lock", "--json", "-q", "--sample", "6", "--seed", "1",
                 "--min-score", "0.95", "--markdown", str(tmp_path / "t.md"),
                 "--log", str(tmp_path / "log.jsonl")])
    out = json.loads(capsys.readouterr().out)
    jsonschema.validate(out, json.loads(schema_text()))
    assert code == 0 and out["exit_code"] == 0 and out["command"] == "mutate"
    assert out["summary"]["mutants"] == 6 and out["summary"]["generated"] >= 20
    assert out["summary"]["score"] == 1.0
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 6
    assert "| **total** | **6** |" in (tmp_path / "t.md").read_text()
    # the log resumes: the same sample again reuses every verdict and runs nothing
    assert main(["mutate", "increment_lock", "--sample", "6", "--seed", "1",
                 "--log", str(tmp_path / "log.jsonl")]) == 0
    cap = capsys.readouterr()
    assert "running 0 " in cap.err and "6 verdicts reused" in cap.err
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 6


def test_cli_record_writes_the_scores_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["mutate", "increment_lock", "--sample", "4", "--seed", "2", "--record", "ci", "-q"]) == 0
    rec = json.loads((tmp_path / "mutation_scores.json").read_text())
    e = rec["models"]["increment_lock"]["ci"]
    assert e["args"] == ["--sample", "4", "--seed", "2", "--budget", "120"]
    assert e["mutants"] == 4 and e["score"] == e["min_score"] == 1.0 and len(e["killed_ids"]) == 4


def test_cli_score_below_minimum_exits_1(tmp_path, capsys):
    f = tmp_path / "weak.py"
    f.write_text(textwrap.dedent('''
        from ppcheck.spec import Int, Model, Record, action, always, require, sometimes

        class S(Record):
            x = Int(0, 2)
            stat = Int(0, 1)

        class Weak(Model):
            name = "weak_file"
            State = S

            @action
            def inc(self, s):
                require(s.x < 2)
                s.x = s.x + 1
                s.stat = 1

            @always
            def x_small(self, s):
                return s.x <= 2

            @sometimes
            def reaches_two(self, s):
                return s.x == 2
    '''))
    code = main(["mutate", f"{f}:Weak", "--min-score", "1", "-q"])
    out = capsys.readouterr().out
    assert code == 1
    assert "survived" in out and "stat = 1" in out and "below --min-score 1" in out


@pytest.mark.parametrize("argv, code, needle", [
    (["mutate", "no_such_model"], 2, "unknown model"),
    (["mutate", "increment_lock", "--config", "nope"], 2, "no configuration 'nope'"),
    (["mutate", "increment_lock", "--jobs", "0"], 2, "--jobs"),
    (["mutate", "increment_lock", "--log", "/"], 2, "is a directory"),
    (["mutate", "increment"], 1, "already fails (no_lost_update)"),
])
def test_cli_bad_input_is_one_line(argv, code, needle, capsys):
    assert main(argv + ["-q"]) == code
    cap = capsys.readouterr()
    text = cap.err.strip() if code == 2 else cap.out.strip()
    assert needle in text and "Traceback" not in cap.err
    assert len(text.splitlines()) == 1, text


# -- the recorded mutation score of the mainline model (CI notices a drop) ----------------------

def _recorded_sample(key, capsys):
    from pathlib import Path

    rec = json.loads((Path(__file__).resolve().parent.parent / "mutation_scores.json").read_text())
    ci = rec["models"]["mainline"][key]
    code = main(["mutate", "mainline", "--json", "-q", *ci["args"], "--min-score", str(ci["min_score"])])
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["mutants"] == ci["mutants"]
    killed = {m["id"] for m in out["mutants"] if m["status"] == mt.KILLED}
    missed = sorted(set(ci["killed_ids"]) - killed)
    # the plan changes with the model (then the sample differs): the score is what must not drop
    assert code == 0, f"{out['summary']['text']}; no longer killed: {missed}"


def test_mainline_frag_sample_score_does_not_drop(capsys):
    """The recorded CI sample (mutation_scores.json ``ci``: 10 mutants of mainline in frag)."""
    _recorded_sample("ci", capsys)

