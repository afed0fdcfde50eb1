"""The command line: every exit code, one-line errors, never a traceback on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ppcheck.cli import main


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_holds_exits_0(capsys, tmp_path):
    code, out, _ = run(["check", "increment_lock", "-q", "--out", str(tmp_path)], capsys)
    assert code == 0 and "holds" in out and "5 states" in out


def test_violation_exits_1_and_writes_the_trace(capsys, tmp_path):
    code, out, _ = run(["check", "increment", "-q", "--out", str(tmp_path)], capsys)
    assert code == 1 and "violated" in out
    assert (tmp_path / "increment-default-no_lost_update.json").exists()


def test_vacuous_witness_exits_1(capsys, tmp_path):
    code, out, _ = run(["check", "unreachable", "-q", "--out", str(tmp_path)], capsys)
    assert code == 1 and "vacuous" in out


def test_budget_exits_3(capsys, tmp_path):
    code, out, _ = run(["check", "counters", "--set", "n=5", "--max-states", "50", "-q",
                        "--out", str(tmp_path)], capsys)
    assert code == 3 and "INCOMPLETE" in out and "unknown" in out


def test_json_output(capsys, tmp_path):
    code, out, _ = run(["check", "increment", "--no-symmetry", "--json", "-q", "--out", str(tmp_path)],
                       capsys)
    data = json.loads(out)
    assert data["format"] == "ppcheck-result" and data["exit_code"] == code == 1
    run0 = data["runs"][0]
    assert run0["states"] == 13 and run0["symmetry"] is False
    assert {r["name"]: r["status"] for r in run0["results"]}["no_lost_update"] == "violated"


@pytest.mark.parametrize("argv, match", [
    (["check", "nosuchmodel"], "unknown model 'nosuchmodel'"),
    (["check", "increment", "--config", "nope"], "no configuration 'nope'"),
    (["check", "increment", "--max-states", "-1"], "--max-states"),
    (["check", "increment", "--timeout", "0"], "--timeout"),
    (["check", "increment", "--set", "threads"], "KEY=VALUE"),
    (["check", "increment", "--set", "zz=1"], "no parameter 'zz'"),
    (["check", "increment", "--set", "threads=-1"], "configuration default(threads=-1)"),
    (["show", "/nonexistent/trace.json"], "cannot read trace"),
    (["frobnicate"], "No such command"),
    (["check", "--bogus"], "No such option"),
])
def test_bad_input_is_one_line_exit_2(argv, match, capsys):
    code, _, err = run(argv, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ppcheck: error:") and match in lines[0]


def test_malformed_trace_file(capsys, tmp_path):
    p = tmp_path / "t.json"
    p.write_text('{"format": "ppcheck-trace", "version": 1, "steps": "x"}')
    for cmd in ("show", "replay"):
        code, _, err = run([cmd, str(p)], capsys)
        assert code == 2 and err.count("\n") == 1 and "steps" in err


def test_show_and_replay_a_found_trace(capsys, tmp_path):
    run(["check", "increment", "-q", "--out", str(tmp_path)], capsys)
    f = str(tmp_path / "increment-default-no_lost_update.json")
    code, out, _ = run(["show", f], capsys)
    assert code == 0 and "step 4" in out and "write(t=" in out
    code, out, _ = run(["replay", f], capsys)
    assert code == 0 and "replays: 4 steps" in out


def test_stale_trace_is_one_error(capsys, tmp_path):
    run(["check", "increment", "-q", "--out", str(tmp_path)], capsys)
    p = tmp_path / "increment-default-no_lost_update.json"
    obj = json.loads(p.read_text())
    obj["fingerprint"] = "deadbeefdeadbeef"
    p.write_text(json.dumps(obj))
    code, _, err = run(["replay", str(p)], capsys)
    assert code == 1 and "does not replay: stale trace" in err and err.count("\n") == 1


def test_replay_goes_on_past_a_bad_trace(capsys, tmp_path):
    run(["check", "increment", "-q", "--out", str(tmp_path)], capsys)
    good = tmp_path / "increment-default-no_lost_update.json"
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    code, out, err = run(["replay", str(bad), str(good)], capsys)
    assert code == 2 and "malformed JSON" in err and "replays: 4 steps" in out


def test_list(capsys):
    code, out, _ = run(["list", "--json"], capsys)
    names = {m["model"] for m in json.loads(out)["models"]}
    assert code == 0 and {"increment", "counters", "slots"} <= names


def test_installed_entry_point_runs():
    """The console script that pip installs (what the README tells people to run)."""
    r = subprocess.run([sys.executable, "-m", "ppcheck.cli", "list"], capture_output=True, text=True)
    assert r.returncode == 0 and "increment" in r.stdout


def test_prove_exit_codes(capsys, tmp_path):
    code, out, _ = run(["prove", "increment_lock", "--engine", "kind", "--timeout", "60"], capsys)
    assert code == 0 and "proved" in out and "all_done" not in out  # witnesses: `check`'s job
    code, out, _ = run(["prove", "increment", "--engine", "bmc", "--depth", "6", "--out", str(tmp_path)],
                       capsys)
    assert code == 1 and "violated" in out
    code, _, err = run(["prove", "increment", "--property", "nope"], capsys)
    assert code == 2 and "no property nope" in err
