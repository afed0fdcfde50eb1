"""Coverage as a verdict (issue 9.3) and per-configuration expectations (issue 9.5).

An action that fires in none of a model's default configurations, including one the build
drops because its guard is constant-false there, fails ``ppcheck check`` unless the model
declares it out of scope with a reason; a witness unreachable by design in one configuration
is declared there; a declaration a run contradicts fails.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ppcheck.checks.coverage import COVERED, UNCOVERED, coverage_verdicts
from ppcheck.checks.explorer import Explorer
from ppcheck.checks.verdict import VACUOUS, VIOLATED
from ppcheck.cli import cli
from ppcheck.spec import Model, SpecError, build

TOY = '''
from ppcheck.spec import Int, Model, Record, action, require, sometimes
from ppcheck.spec.expr import const


class S(Record):
    x = Int(0, 3)


class Toy(Model):
    """x counts to the configuration's limit."""

    name = "cov_toy"
    State = S
    configs = {"small": {"limit": 1}, "large": {"limit": 2}}
    default_configs = ("small", "large")
    out_of_scope = OUT

    @action
    def step(self, s):
        require(s.x < self.cfg.limit)
        s.x = s.x + 1

    @action
    def only_large(self, s):
        """Dropped at build time in "small" (a constant-false guard), fires in "large"."""
        require(const(self.cfg.limit == 2))
        require(s.x == 2)
        s.x = 3

    @action
    def never(self, s):
        """Dropped everywhere."""
        require(const(False))
        s.x = 0

    @sometimes
    def reaches_two(self, s):
        return s.x == 2
'''


def _toy(out: dict) -> type[Model]:
    ns: dict = {}
    exec(TOY.replace("OUT", repr(out)), ns)
    return ns["Toy"]


def _verdict(model: type[Model]):
    runs = [(model, Explorer(build(model, c)).run()) for c in model.default_configs]
    (cov,) = coverage_verdicts(runs)
    return cov, {r.config: r for _, r in runs}


def test_the_fingerprint_covers_dropped_actions_and_declarations():
    """Both change what a run reports (never_fired, coverage) without changing a binding, so
    both change the fingerprint: a manifest entry recorded before them is stale, not differing."""
    toy = _toy({})
    base = build(toy, "small")
    declared = build(_toy({"*": {"never": "not modelled"}}), "small")
    reworded = build(_toy({"*": {"never": "another reason"}}), "small")
    assert len({base.fingerprint, declared.fingerprint, reworded.fingerprint}) == 3
    without = type("NoNever", (toy,), {"never": None})
    fewer = build(without, "small")
    assert [b.label() for b in fewer.bindings] == [b.label() for b in base.bindings]
    assert fewer.dropped == ["only_large"] and fewer.fingerprint != base.fingerprint


def test_a_dropped_action_counts_as_never_fired():
    toy = _toy({})
    assert build(toy, "small").dropped == ["only_large", "never"]
    run = Explorer(build(toy, "small")).run()
    assert run.never_fired() == ["only_large", "never"]


def test_an_action_that_fires_nowhere_fails():
    cov, _ = _verdict(_toy({}))
    assert cov.status == UNCOVERED and cov.never_fired == ["never"]
    assert "FAILS: actions that never fire: never" in cov.text()


def test_declared_everywhere_with_a_reason_passes():
    cov, _ = _verdict(_toy({"*": {"never": "the kernel path is not modelled"}}))
    assert cov.status == COVERED and cov.out_of_scope == {"never": "the kernel path is not modelled"}


def test_declared_in_one_configuration_only_still_fails():
    cov, _ = _verdict(_toy({"small": {"never": "why"}}))
    assert cov.status == UNCOVERED and cov.never_fired == ["never"]


def test_a_declaration_a_run_contradicts_fails():
    cov, _ = _verdict(_toy({"*": {"never": "why"}, "large": {"only_large": "stale"}}))
    assert cov.status == UNCOVERED and cov.contradicted == ["large: only_large"]


def test_a_witness_unreachable_by_design_is_declared_there():
    toy = _toy({"*": {"never": "why"}, "small": {"reaches_two": "the limit is 1"}})
    _, runs = _verdict(toy)
    r = {x.name: x for x in runs["small"].results}["reaches_two"]
    assert r.status == VACUOUS and r.out_of_scope == "the limit is 1"
    assert not runs["small"].failed
    bare = Explorer(build(_toy({}), "small")).run()
    assert bare.failed  # without the declaration the vacuous witness fails


def test_a_declared_witness_that_is_reached_fails():
    toy = _toy({"large": {"reaches_two": "wrong"}})
    run = Explorer(build(toy, "large")).run()
    r = {x.name: x for x in run.results}["reaches_two"]
    assert r.status == VIOLATED and "declared out of scope in large" in r.detail
    assert run.failed


@pytest.mark.parametrize("out,msg", [
    ({"nosuch": {"never": "x"}}, "names no configuration 'nosuch'"),
    ({"*": {"nevr": "x"}}, "names 'nevr', neither an action nor a witness"),
    ({"*": {"never": " "}}, "gives no reason"),
])
def test_a_bad_declaration_is_a_build_error(out, msg):
    with pytest.raises(SpecError, match=msg):
        build(_toy(out), "small")


def test_only_the_full_default_set_gets_a_verdict():
    toy = _toy({})
    run = Explorer(build(toy, "small")).run()
    assert coverage_verdicts([(toy, run)]) == []
    other = Explorer(build(toy, toy.config("large", limit=1))).run()
    assert coverage_verdicts([(toy, run), (toy, other)]) == []


def test_check_exits_1_on_uncovered_and_0_when_declared(tmp_path):
    runner = CliRunner()
    bad = tmp_path / "toy_bad.py"
    bad.write_text(TOY.replace("OUT", "{'small': {'reaches_two': 'the limit is 1'}}"))
    r = runner.invoke(cli, ["check", str(bad), "--out", str(tmp_path / "ce")])
    assert r.exit_code == 1, r.output
    assert "coverage cov_toy over small, large: FAILS: actions that never fire: never" in r.output
    assert "coverage fails: cov_toy (1 actions)" in r.output.splitlines()[-1]
    good = tmp_path / "toy_good.py"
    good.write_text(TOY.replace("OUT", "{'*': {'never': 'not modelled'}, "
                                       "'small': {'reaches_two': 'the limit is 1'}}"))
    r = runner.invoke(cli, ["check", str(good), "--out", str(tmp_path / "ce"), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["coverage"] == [{"model": "cov_toy", "configs": ["small", "large"], "status": "covered",
                                "never_fired": [], "out_of_scope": {"never": "not modelled"},
                                "contradicted": []}]



# -- out_of_scope over subclasses (issue 15): a variant inherits its parent's declarations for
# the configurations it inherits unchanged, extends them, and removes one explicitly ----------

PARENT_OUT = {"*": {"never": "not modelled"}, "small": {"reaches_two": "the limit is 1"}}


def _child(parent: type[Model], **attrs) -> type[Model]:
    return type("Child", (parent,), {"name": "cov_child", **attrs})


def test_a_variant_with_its_own_configs_keeps_the_inherited_declarations():
    """A variant that adds a configuration and declares what is out of scope there keeps its
    parent's declarations for the configurations it inherits (it used to replace them: the
    witness of "small" became a vacuous failure and "never" an uncovered action)."""
    parent = _toy(PARENT_OUT)
    child = _child(parent, configs={**parent.configs, "tiny": {"limit": 0}},
                   default_configs=("small", "large", "tiny"),
                   out_of_scope={"tiny": {"step": "the limit is 0", "reaches_two": "the limit is 0",
                                          "never": "not modelled"}})
    assert child.declared_out_of_scope("small") == PARENT_OUT["*"] | PARENT_OUT["small"]
    assert child.declared_out_of_scope("large") == PARENT_OUT["*"]
    assert child.declared_out_of_scope("tiny") == child.out_of_scope["tiny"]
    assert build(child, "small").fingerprint == build(parent, "small").fingerprint
    cov, runs = _verdict(child)
    assert cov.status == COVERED, cov.text()
    assert not runs["small"].failed and not runs["tiny"].failed


def test_a_variant_inherits_no_declaration_for_a_configuration_it_changes_or_drops():
    """A configuration the variant redefines is its own (the parent's reasons were checked
    against other parameters); one it does not have is no error (it used to be "names no
    configuration")."""
    parent = _toy(PARENT_OUT)
    child = _child(parent, configs={"small": {"limit": 2}})
    assert child.declared_out_of_scope("small") == {}
    build(child, "small")
    only_large = _child(parent, configs={"large": {"limit": 2}}, default_configs=("large",))
    assert only_large.declared_out_of_scope("large") == PARENT_OUT["*"]
    build(only_large, "large")


def test_a_variant_extends_and_removes_declarations():
    parent = _toy(PARENT_OUT)
    child = _child(parent, out_of_scope={"*": {"only_large": "the variant's reason"},
                                         "small": {"reaches_two": None}})
    assert child.declared_out_of_scope("small") == {"never": "not modelled",
                                                    "only_large": "the variant's reason"}
    assert parent.declared_out_of_scope("small") == PARENT_OUT["*"] | PARENT_OUT["small"]
    grand = _child(child, out_of_scope={"*": {"never": None}})
    assert grand.declared_out_of_scope("large") == {"only_large": "the variant's reason"}
    anywhere = _child(parent, out_of_scope={"*": {"reaches_two": None}})  # where it is declared
    assert anywhere.declared_out_of_scope("small") == PARENT_OUT["*"]


def test_a_declaration_of_an_action_the_variant_removes_goes_with_it():
    parent = _toy(PARENT_OUT)
    child = _child(parent, never=None)
    assert child.declared_out_of_scope("small") == PARENT_OUT["small"]
    build(child, "small")


@pytest.mark.parametrize("attrs,msg", [
    ({"out_of_scope": {"small": {"step": None}}}, r"out_of_scope\['small'\]\['step'\] = None removes "
                                                  "nothing"),
    ({"out_of_scope": {"*": {"step": None}}}, r"out_of_scope\['\*'\]\['step'\] = None removes nothing"),
    ({"out_of_scope": {"tiny": {"step": "x"}}}, "out_of_scope names no configuration 'tiny'"),
    ({"out_of_scope": {"*": {"stpe": "x"}}}, r"out_of_scope\['\*'\] names 'stpe', neither an action nor a "
                                             "witness"),
    ({"configs": {"small": {"limit": 1}}, "out_of_scope": {"large": {"step": "x"}}},
     "out_of_scope names no configuration 'large'"),
])
def test_a_bad_variant_declaration_is_a_build_error(attrs, msg):
    child = _child(_toy(PARENT_OUT), **attrs)
    with pytest.raises(SpecError, match=f"model cov_child: {msg}"):
        build(child, "small")
