"""Runs of one ``ppcheck check`` in a fork pool (``ppcheck/runpool.py``): the same output
bytes as one run at a time (text, --json, trace files), errors and Ctrl-C where the run
stands, and the load-aware default of ``--jobs``/``--workers``."""

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ppcheck import runpool
from ppcheck.runpool import Parallelism, adopt_traces, parallelism, run_in_order

#: small models with violations (traces written) and holds, five runs
PLAN = ["increment", "pp004_first_merged", "pp000_merged"]
_TIMES = re.compile(r"[0-9.]+s, peak memory [0-9]+ MiB")


def _check(tmp: Path, name: str, *extra: str) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp / name
    p = subprocess.run([sys.executable, "-m", "ppcheck.cli", "check", *PLAN, "--out", str(out),
                        "--backend", "native", *extra], capture_output=True, text=True, cwd=tmp)
    return p, out


def _strip(x):
    if isinstance(x, dict):
        return {k: _strip(v) for k, v in x.items() if k not in ("timing", "seconds", "peak_memory")}
    if isinstance(x, list):
        return [_strip(v) for v in x]
    return x


@pytest.mark.parametrize("as_json", [False, True])
def test_pooled_runs_print_the_sequential_output(tmp_path, as_json):
    flag = ["--json"] if as_json else []
    seq, d1 = _check(tmp_path, "d1", "--jobs", "1", "--workers", "1", *flag)
    pool, d2 = _check(tmp_path, "d2", "--jobs", "2", *flag)
    two, d3 = _check(tmp_path, "d3", "--workers", "2", *flag)
    assert seq.returncode == pool.returncode == two.returncode == 1, seq.stderr + pool.stderr
    texts = [p.stdout.replace(str(d), "OUT") for p, d in ((seq, d1), (pool, d2), (two, d3))]
    if as_json:
        objs = [_strip(json.loads(t)) for t in texts]
        assert objs[0] == objs[1] == objs[2]
        assert len(objs[0]["runs"]) == 5
    else:
        norm = [_TIMES.sub("T", t) for t in texts]
        assert norm[0] == norm[1] == norm[2]
        assert "violated" in norm[0]
    files = sorted(f.name for f in d1.iterdir())
    assert files and files == sorted(f.name for f in d2.iterdir()) == sorted(f.name for f in d3.iterdir())
    for f in files:
        assert (d1 / f).read_bytes() == (d2 / f).read_bytes() == (d3 / f).read_bytes()


def _work(i, trace_dir, note):
    note(f"note {i % 2}")
    if i == 2:
        raise ValueError("run 2 does not build")
    Path(trace_dir).mkdir(parents=True, exist_ok=True)
    (Path(trace_dir) / f"t{i}.json").write_text(str(i))
    return i * 10


def test_outcomes_arrive_in_plan_order_with_errors_and_notes(tmp_path):
    got = [(o.index, o.value, type(o.error).__name__ if o.error else None, o.notes, d)
           for o, d in run_in_order(4, 2, _work)]
    assert [g[:4] for g in got] == [(0, 0, None, ("note 0",)), (1, 10, None, ("note 1",)),
                                    (2, None, "ValueError", ("note 0",)), (3, 30, None, ("note 1",))]
    assert not got[0][4].exists()  # the private folders go with the pool


def test_adopted_traces_move_to_out_and_results_follow(tmp_path):
    from ppcheck.checks.verdict import PropertyResult

    priv = tmp_path / "priv"
    priv.mkdir()
    (priv / "m-c-p.json").write_text("{}")
    r = PropertyResult("p", "always", "violated", trace_file=str(priv / "m-c-p.json"))
    adopt_traces([r], priv, str(tmp_path / "out"))
    assert r.trace_file == str(tmp_path / "out" / "m-c-p.json")
    assert (tmp_path / "out" / "m-c-p.json").read_text() == "{}"


@pytest.mark.parametrize("load,nruns,workers,env,want", [
    (0.3, 27, None, "", (2, 1)),   # free cores, many runs: a run per core, one thread each
    (0.3, 1, None, "", (1, 2)),    # free cores, one run: both threads to it
    (2.0, 27, None, "", (1, 1)),   # load at the cores: one run, one thread
    (5.0, 1, None, "", (1, 1)),
    (0.3, 27, 2, "", (1, 2)),      # --workers given: those threads, one run at a time
    (0.3, 27, None, "1", (1, 1)),  # $PPCHECK_WORKERS (the test suite under xdist)
])
def test_default_parallelism_is_load_aware(monkeypatch, load, nruns, workers, env, want):
    monkeypatch.setattr(runpool, "cores", lambda: 2)
    monkeypatch.setattr(runpool.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setenv("PPCHECK_WORKERS", env)
    p = parallelism(nruns, workers)
    assert isinstance(p, Parallelism) and (p.jobs, p.workers) == want


def test_ctrl_c_stops_a_pooled_check_with_what_completed(tmp_path):
    """The Python explorer (long enough to interrupt) in a pool of two: exit 3, what
    completed, one summary line, no traceback from the workers."""
    import time

    p = subprocess.Popen([sys.executable, "-u", "-m", "ppcheck.cli", "check", "mainline", "--out", "t",
                          "--backend", "python", "--jobs", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert p.stderr is not None
    deadline = time.monotonic() + 300
    first = ""
    while time.monotonic() < deadline:
        first = p.stderr.readline()
        if re.search(r"\[1/\d+\]", first) or not first:
            break
    runs = re.search(r"\[1/(\d+)\]", first)
    assert runs, first
    time.sleep(10)  # the run waited for is searching by now (its build is in the child)
    p.send_signal(signal.SIGINT)
    out, rest = p.communicate(timeout=120)
    assert p.returncode == 3, first + rest
    last = out.strip().splitlines()[-1]
    done = re.search(rf"interrupted \(Ctrl-C\) after (\d+) of {runs.group(1)} runs", last)
    assert done, last
    # the run waited for is reported incomplete (or, stopped before it had a result, not at
    # all); the other run in flight is dropped, as a run not yet started is
    k = int(done.group(1))
    assert k <= 1 and out.count("INCOMPLETE (interrupted (Ctrl-C))") == k and f"{k} incomplete" in last
    assert "Traceback" not in rest
