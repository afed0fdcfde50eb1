"""CI-native, honest, repeatable output (issues 13.4-13.6, 14.3-14.4): the JSON shape and its
schema, JUnit, SARIF, assert_holds, incomplete verdicts, determinism, SIGKILL and SIGINT."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from ppcheck.checks.report import schema_text, strip_timing
from ppcheck.cli import main

SCHEMA = json.loads(schema_text())
ROOT = Path(__file__).resolve().parent.parent


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(argv, capsys):
    code, out, err = run(argv + ["--json"], capsys)
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    assert data["exit_code"] == code
    return data


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    out = tmp_path_factory.mktemp("o")
    assert main(["check", "increment", "-q", "--out", str(out)]) == 1
    return out / "increment-default-no_lost_update.json"


def test_every_command_prints_the_one_json_shape(tmp_path, capsys, trace):
    o = str(tmp_path)
    cases = [
        ["check", "increment", "-q", "--out", o], ["check", "increment_lock", "-q", "--out", o],
        ["prove", "increment_lock", "--timeout", "30", "-q", "--out", o],
        ["simulate", "increment", "--walks", "20", "-q", "--out", o],
        ["diff", "increment_lock", "increment", "-q", "--out", o],
        ["diff", "increment", "increment_lock", "-q", "--out", o],
        ["show", str(trace)], ["explain", str(trace)], ["replay", str(trace)], ["list"],
        ["export", "increment"], ["new", "zz", "--from", "increment", "--out", str(tmp_path / "zz.py")],
        ["check", "nosuch"], ["replay", str(tmp_path)],
        ["mutate", "increment_lock", "--sample", "3", "-q"], ["mutate", "increment", "-q"],
    ]
    seen = set()
    for argv in cases:
        data = run_json(argv, capsys)
        seen.add(data["command"])
        assert data["format"] == "ppcheck-result" and data["version"] == 1
    assert seen >= {"check", "prove", "simulate", "diff", "show", "explain", "replay", "list", "export",
                    "new", "mutate"}


def test_the_schema_rejects_what_it_should():
    bad = {"format": "ppcheck-result", "version": 1, "command": "check", "exit_code": 0,
           "summary": {"text": "x"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)  # check without runs
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(bad, exit_code=7, runs=[]), SCHEMA)


def test_summary_line_lemmas_apart_and_the_shortest_violation(tmp_path, capsys):
    code, out, _ = run(["check", "pp004_first_merged", "--config", "reuse", "-q", "--out", str(tmp_path)],
                       capsys)
    assert code == 1
    last = out.strip().splitlines()[-1]
    assert last.startswith("1 run: 0 hold, 1 violated (pp004_first_merged/reuse: ") and last.endswith(
        "0 incomplete")
    assert "read first: " in out and "lemma_" not in out.split("read first: ")[1].split()[0]
    code, out, _ = run(["check", "mainline", "--config", "base", "-q", "--out", str(tmp_path)], capsys)
    assert code == 0 and "proof lemmas (" in out
    kernel_part = out.split("proof lemmas (")[0]
    assert "lemma_" not in kernel_part and "lemma_" in out.split("proof lemmas (")[1]
    assert out.strip().splitlines()[-1] == "1 run: 1 hold, 0 violated, 0 incomplete"


def test_junit_and_sarif(tmp_path, capsys):
    j, s = tmp_path / "r.xml", tmp_path / "r.sarif"
    code, _, _ = run(["check", "increment", "increment_lock", "-q", "--out", str(tmp_path),
                      "--junit", str(j), "--sarif", str(s)], capsys)
    assert code == 1
    root = ET.parse(j).getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == 4 + 5  # one per model x configuration x property
    fails = root.findall(".//testcase/failure")
    assert len(fails) == 1 and "step 4" in fails[0].text and "no_lost_update is violated" in fails[0].text
    log = json.loads(s.read_text())
    assert log["version"] == "2.1.0"
    [res] = log["runs"][0]["results"]
    assert res["ruleId"] == "increment/no_lost_update"
    flows = res["codeFlows"][0]["threadFlows"]
    assert {f["id"] for f in flows} == {"threads[0]", "threads[1]"}
    loc = flows[0]["locations"][0]["location"]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("toys.py") and loc["region"]["startLine"] > 1
    src = (ROOT / "models" / "toys.py").read_text().splitlines()
    first = src[loc["region"]["startLine"] - 1]
    assert "def read" in first or "@action" in first


def test_assert_holds_fails_with_the_rendered_trace():
    from ppcheck.testing import PropertyViolation, assert_holds

    assert assert_holds("increment_lock").complete
    with pytest.raises(PropertyViolation) as e:
        assert_holds("increment")
    msg = str(e.value)
    assert msg.startswith("increment/default: no_lost_update violated") and "step 4  [threads[1]]" in msg
    with pytest.raises(PropertyViolation, match="incomplete"):
        assert_holds("counters", "default", max_states=5)


# -- incomplete is never proved ------------------------------------------------------------------

@pytest.mark.parametrize("argv, reason", [
    (["check", "counters", "--set", "n=5", "--max-states", "50"], "state budget of 50"),
    (["check", "counters", "--set", "n=5", "--max-depth", "2"], "depth bound of 2"),
    (["check", "counters", "--set", "n=5", "--timeout", "0.0001"], "time budget"),
    (["prove", "increment_lock", "--engine", "bmc", "--depth", "2"], ""),
    (["simulate", "increment_lock", "--walks", "5"], "proves nothing"),
    (["diff", "increment_lock", "increment_lock", "--max-states", "3"], ""),
])
def test_budgets_are_incomplete_in_text_and_json(argv, reason, tmp_path, capsys):
    code, out, _ = run(argv + ["-q", "--out", str(tmp_path)], capsys)
    assert code == 3 and "incomplete" in out.lower()
    data = run_json(argv + ["-q", "--out", str(tmp_path)], capsys)
    assert data["exit_code"] == 3
    if data["command"] == "diff":
        assert data["diff"]["complete"] is False and data["diff"]["equivalence"]["equivalent"] is None
        return
    run0 = data["runs"][0]
    assert run0["complete"] is False and reason in run0["reason"]
    assert all(r["status"] not in ("holds", "proved") for r in run0["results"])


def test_z3_unknown_is_incomplete(tmp_path, capsys):
    data = run_json(["prove", "mainline", "--config", "base", "--engine", "chc", "--timeout", "0.5", "-q",
                     "--out", str(tmp_path)], capsys)
    assert data["exit_code"] == 3 and data["summary"]["incomplete"] == 1
    assert any(r["status"] == "unknown" for r in data["runs"][0]["results"])


# -- the same inputs, the same bytes --------------------------------------------------------------

def _cli(args, cwd, seed):
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    return subprocess.run([sys.executable, "-m", "ppcheck.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env)


def test_traces_and_json_are_byte_identical_across_hash_seeds(tmp_path):
    outs = []
    for seed in (0, 1, 12345):
        d = tmp_path / f"s{seed}"
        d.mkdir()
        r = _cli(["check", "pp004_first_merged", "--config", "reuse", "--json", "-q", "--out", "t"], d, seed)
        data = json.loads(r.stdout)
        assert data["exit_code"] == 1, r.stderr
        traces = {p.name: p.read_bytes() for p in sorted((d / "t").iterdir())}
        outs.append((json.dumps(strip_timing(data), sort_keys=False), traces))
    assert outs[0][1] and all(o == outs[0] for o in outs)


# -- nothing lost: SIGKILL right after the first violation ----------------------------------------

def test_sigkill_at_the_first_violated_line_leaves_a_complete_trace(tmp_path):
    """``check`` prints a run's table only after its traces are on disk: kill it the moment
    the first "violated" appears and the trace replays."""
    out = tmp_path / "t"
    p = subprocess.Popen([sys.executable, "-u", "-m", "ppcheck.cli", "check", "increment",
                          "pp004_first_merged", "mainline", "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path)
    assert p.stdout is not None
    for line in p.stdout:
        if "violated" in line:
            p.send_signal(signal.SIGKILL)
            break
    p.wait()
    assert p.returncode == -signal.SIGKILL
    files = list(out.glob("*.json"))
    assert files and not list(out.glob(".*.tmp"))
    assert main(["replay", *map(str, files)]) == 0


def test_sigint_stops_the_whole_command_with_exit_3(tmp_path):
    import time

    # the Python backend: the native one finishes mainline/base before its first progress line
    p = subprocess.Popen([sys.executable, "-u", "-m", "ppcheck.cli", "check", "mainline", "--out", "t",
                          "--backend", "python"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert p.stderr is not None
    # wait until the first of the five default configurations is being explored (its progress
    # line), however loaded the machine is, then interrupt it
    deadline = time.monotonic() + 300
    first = ""
    while time.monotonic() < deadline:
        first = p.stderr.readline()
        if re.search(r"\[1/\d+\]", first) or not first:
            break
    runs = re.search(r"\[1/(\d+)\]", first)
    assert runs, first
    p.send_signal(signal.SIGINT)
    out, rest = p.communicate(timeout=120)
    err = first + rest
    assert p.returncode == 3, err
    last = out.strip().splitlines()[-1]
    assert f"interrupted (Ctrl-C) after 1 of {runs.group(1)} runs" in last and "1 incomplete" in last
    assert out.count("INCOMPLETE (interrupted (Ctrl-C))") == 1
