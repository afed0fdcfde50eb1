"""The expectations manifest: fingerprints first, then every recorded entry re-runs identically.

``manifest.json`` is recorded by ``ppcheck manifest --update`` from real runs (runs of the
toys and mainline, the seed designs, their diffs, every seeded bug's shortest trace).  A model
change fails :func:`test_fingerprints_are_current` once, naming the command; the entries of the
changed models are skipped rather than failing one by one.  Entries recorded as slower than
their section's budget (``checks/manifest.py:SLOW_SECONDS``) are marked ``slow``.
"""

from __future__ import annotations

import json

import expected
import pytest
import shared
from click.testing import CliRunner

from ppcheck.checks import manifest
from ppcheck.cli import cli

PLAN = manifest.plan(root=expected.ROOT)
BY_KEY = {(e.section, e.key): e for e in PLAN}


def test_fingerprints_are_current():
    uses = {u for e in PLAN for u in e.uses}
    now = {f"{m}/{c}": expected.fingerprint_now(m, c) for m, c in uses}
    old = expected.DATA["fingerprints"]
    changed = sorted(k for k in now if old.get(k) != now[k])
    assert not changed, (f"{len(changed)} models changed since the manifest was recorded "
                         f"({', '.join(changed[:12])}{' ...' if len(changed) > 12 else ''}): "
                         f"re-record from real runs with `{expected.COMMAND}`, review the diff of "
                         "manifest.json and commit it")


def test_manifest_covers_the_plan():
    recorded = {(s, k) for s in manifest.SECTIONS for k in expected.DATA[s]}
    missing = sorted(f"{s}/{k}" for s, k in set(BY_KEY) - recorded)
    extra = sorted(f"{s}/{k}" for s, k in recorded - set(BY_KEY))
    assert not missing and not extra, (f"not recorded: {missing}; no longer planned: {extra} "
                                       f"(run `{expected.COMMAND}`)")


def _shared(section: str, key: str) -> bool:
    """The entries whose search other tests run too (tests/shared.py): the runs with symmetry
    (the Python explorer: the agreement cases, the findings) and the seeded bugs (the trace
    tests, the implementation replay)."""
    return section == "bugs" or (section == "runs" and key.endswith("/sym"))


ENTRIES = [pytest.param(s, k, marks=expected.marks(s, v) + ([shared.group(k)] if _shared(s, k) else []),
                        id=f"{s}/{k}")
           for s in manifest.SECTIONS for k, v in sorted(expected.DATA[s].items())]


def _backend(section: str, key: str) -> str:
    """The explorer that re-runs an entry: the Python explorer for the runs with symmetry, the
    native one (C) for the twice larger runs without: every configuration's recorded counts are
    reproduced by each backend (``ppcheck manifest`` records with the Python explorer)."""
    return "native" if section == "runs" and key.endswith("/nosym") else "python"


@pytest.mark.parametrize("section,key", ENTRIES)
def test_entry_reproduces(section, key):
    if (section, key) not in BY_KEY:
        pytest.fail(f"{section}/{key} is no longer planned: run `{expected.COMMAND}`")
    old = expected.entry(section, key)
    e = BY_KEY[section, key]
    if _shared(section, key) and section == "runs":  # the search record_run runs (python)
        model = expected.models()[e.args["model"]]
        new = manifest.run_fields(model, e.args["config"], shared.explore(model, e.args["config"])[0])
    elif _shared(section, key):  # record_bug's search
        new = manifest.bug_fields(e.args["bug"], *shared.bug_search(e.args["bug"]))
    else:
        new = manifest.record(e, expected.models().__getitem__, out_dir=None,
                              backend=_backend(section, key))
    assert manifest.compare(old, new) == [], f"re-record with `{expected.COMMAND}` if intended"


def test_compare_reports_a_changed_count():
    old = next(iter(expected.DATA["runs"].values()))
    changed = dict(old, states=old["states"] + 1)
    assert manifest.compare(changed, old) and "states" in manifest.compare(changed, old)[0]
    assert manifest.compare(dict(old, seconds=99), old) == []


def _toy_manifest(tmp_path, model="increment"):
    data = manifest.load(expected.PATH)
    keep = {k: v for k, v in data["runs"].items() if v["model"] == model}
    fps = {k: v for k, v in data["fingerprints"].items() if k.startswith(model + "/")}
    path = tmp_path / "manifest.json"
    manifest.save({"fingerprints": fps, "runs": keep}, path)
    return path


def test_a_changed_model_is_stale_once_and_rerecorded(tmp_path):
    """A fingerprint that no longer matches is reported as stale with the command, not re-run;
    ``--update`` re-records exactly the stale entries, after which the check passes."""
    path = _toy_manifest(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["manifest", "increment", "--file", str(path)]).exit_code == 0
    data = json.loads(path.read_text())
    data["fingerprints"]["increment/default"] = "0" * 16
    data["runs"]["increment/default/sym"]["states"] = 1
    path.write_text(json.dumps(data))
    r = runner.invoke(cli, ["manifest", "increment", "--file", str(path)])
    assert r.exit_code == 1
    assert r.output.count("the model changed since it was recorded") == 2
    assert manifest.UPDATE_COMMAND in r.output and "DIFFERS" not in r.output
    r = runner.invoke(cli, ["manifest", "increment", "--update", "--file", str(path)])
    assert r.exit_code == 0 and "runs/increment/default/sym: recorded" in r.output
    assert runner.invoke(cli, ["manifest", "increment", "--file", str(path)]).exit_code == 0
    again = manifest.load(path)
    assert again["runs"]["increment/default/sym"] == {
        **expected.DATA["runs"]["increment/default/sym"],
        "seconds": again["runs"]["increment/default/sym"]["seconds"]}


def test_stale_is_missing_or_changed():
    """What a bare ``--update`` re-records: missing entries and those of changed models only."""
    entries = [manifest.run_entry("increment", "default", True), manifest.run_entry("slots", "default", True)]
    data = {"fingerprints": {"increment/default": "a", "slots/default": "b"},
            "runs": {"increment/default/sym": {}, "slots/default/sym": {}}}
    now = {"increment/default": "a", "slots/default": "b"}
    assert manifest.stale(data, entries, now) == []
    assert manifest.stale(data, entries, {**now, "slots/default": "c"}) == entries[1:]
    del data["runs"]["increment/default/sym"]
    assert manifest.stale(data, entries, now) == entries[:1]


def test_a_changed_count_differs(tmp_path):
    """With the fingerprint intact, a recorded count that a re-run does not reproduce differs."""
    path = _toy_manifest(tmp_path)
    data = json.loads(path.read_text())
    data["runs"]["increment/default/nosym"]["states"] += 1
    path.write_text(json.dumps(data))
    r = CliRunner().invoke(cli, ["manifest", "increment", "--file", str(path)])
    assert r.exit_code == 1 and "DIFFERS: states" in r.output


def test_jobs_record_the_same_entries(tmp_path):
    """``--update --all --jobs 2`` (forked recorders, longest first) records exactly what one
    job records: only the seconds and the order of completion may differ."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    runner = CliRunner()
    for d, jobs in ((one, "1"), (two, "2")):
        path = _toy_manifest(d)
        r = runner.invoke(cli, ["manifest", "increment", "--update", "--all", "--jobs", jobs,
                                "--file", str(path)])
        assert r.exit_code == 0, r.output
        assert r.output.count(": recorded in") == 2
    a, b = (manifest.load(d / "manifest.json") for d in (one, two))
    for k in a["runs"]:
        assert dict(a["runs"][k], seconds=0) == dict(b["runs"][k], seconds=0)
    assert a["fingerprints"] == b["fingerprints"]
    assert runner.invoke(cli, ["manifest", "increment", "--jobs", "2",
                               "--file", str(two / "manifest.json")]).exit_code == 0
