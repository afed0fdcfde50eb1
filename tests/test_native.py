"""The native explorer (checks/native/) against the Python explorer.

Both backends must give identical state counts, transition counts, depths, deadlocks,
coverage, verdicts and trace lengths.  The default run cross-checks the toys and one
mainline configuration against the golden manifest (recorded by the Python explorer, and
re-checked against it by tests/test_manifest.py) and one seeded bug; ``-m slow`` runs
every entry of both manifests, with and without symmetry, against live Python runs, and
every seeded bug.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.native import make_explorer, unavailable
from ppcheck.checks.native.cgen import C_OPS
from ppcheck.checks.native.explorer import NativeExplorer
from ppcheck.models import get_model
from ppcheck.spec import build
from ppcheck.spec.expr import OPS

sys.path.insert(0, str(Path(__file__).parent))
import expected  # noqa: E402
from seeded_bugs import BUGS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(unavailable() is not None, reason=f"native backend: {unavailable()}")


def _summary(run) -> dict:
    return {"complete": run.complete, "states": run.states, "transitions": run.transitions,
            "depth": run.depth, "verdicts": {r.name: r.status for r in run.results},
            "trace_lengths": {r.name: r.trace_length for r in run.results
                              if r.trace_length is not None}}


def _manifest() -> dict:
    return json.loads((ROOT / "manifest.json").read_text())["runs"]


def test_c_ops_cover_the_ir():
    """Every operator of the IR has a C rendering, and nothing else does."""
    assert set(C_OPS) == set(OPS)


def _c_and_python(config: str, symmetry: bool, name: str) -> tuple[Any, Any, Any]:
    """Mainline in ``config``: the system, and the generated function ``name`` of the native
    explorer's probe and of the Python compiler."""
    from ppcheck.checks.compile import compile_system

    sysm = build(get_model("mainline"), config)
    ex = NativeExplorer(sysm, workers=1)
    ex._load()
    return sysm, ex._probe().namespace[name], compile_system(sysm, symmetry).namespace[name]


def test_canonical_form_is_the_python_one():
    """pp_canon and the generated Python canon agree on random states (4 symmetric pages)."""
    from ppcheck.checks.symmetry import random_states

    sysm, c_canon, py_canon = _c_and_python("bench", True, "canon")
    states = random_states(sysm, 2000, seed=7)
    assert sum(py_canon(s) != s for s in states) > 1000  # most random states are not canonical
    assert [c_canon(s) for s in states] == [py_canon(s) for s in states]


def test_successors_are_the_python_ones():
    """pp_succ (replay, symmetry checks) gives the Python succ_all's list, errors included."""
    from ppcheck.checks.symmetry import random_states

    sysm, conc, py = _c_and_python("skb", False, "succ_all")
    for s in random_states(sysm, 300, seed=3) + sysm.init_states:
        assert conc(s) == py(s)


TOYS = sorted(k for k in _manifest() if not k.startswith("mainline"))


@pytest.mark.parametrize("key", TOYS + ["mainline/skb/sym", "mainline/skb/nosym"])
def test_native_matches_the_manifest(key):
    model, config, sym = key.split("/")
    rec = _manifest()[key]
    run = NativeExplorer(build(get_model(model), config), symmetry=sym == "sym", workers=1).run()
    assert _summary(run) == {k: rec[k] for k in _summary(run)}
    assert run.symmetry == rec["symmetry"]


def test_native_matches_python_run_for_run():
    """Deadlocks, coverage and the traces themselves, not only the manifest's fields."""
    for model in ("increment", "slots", "increment_lock"):
        for sym in (True, False):
            a = Explorer(build(get_model(model)), symmetry=sym)
            b = NativeExplorer(build(get_model(model)), symmetry=sym, workers=1)
            ra, rb = a.run(), b.run()
            assert _summary(ra) == _summary(rb)
            assert (ra.deadlocks, ra.coverage) == (rb.deadlocks, rb.coverage)
            assert {k: t.to_json() for k, t in a.traces.items()} == \
                {k: t.to_json() for k, t in b.traces.items()}


def _store(ex: NativeExplorer) -> tuple[list[int], list[int], list[int]]:
    n = len(ex.states)
    return [ex.states[i] for i in range(n)], [ex.parents[i] for i in range(n)], \
        [ex.acts[i] for i in range(n)]


@pytest.mark.parametrize("model,config,sym", [("mainline", "skb", False), ("mainline", "base", True),
                                              ("counters", "bench", False)])
def test_workers_give_the_one_thread_store(model, config, sym):
    """A level-synchronous parallel BFS that settles each round in discovery-key order:
    2 and 3 threads store the same states in the same order with the same parent links as
    one thread (so every trace and verdict is the same), not merely the same counts."""
    one = NativeExplorer(build(get_model(model), config), symmetry=sym, workers=1)
    r1 = one.run()
    for w in (2, 3):
        many = NativeExplorer(build(get_model(model), config), symmetry=sym, workers=w)
        rw = many.run()
        assert _summary(r1) == _summary(rw)
        assert (r1.deadlocks, r1.coverage) == (rw.deadlocks, rw.coverage)
        assert _store(one) == _store(many), f"{w} threads stored another order"
        assert {k: t.to_json() for k, t in one.traces.items()} == \
            {k: t.to_json() for k, t in many.traces.items()}


def _bug_run(bug, workers=1):
    ex = NativeExplorer(build(bug.model, bug.config), symmetry=True, properties=[bug.prop],
                        stop_at_first=True, timeout=120, workers=workers)
    return ex.run(), ex


def _check_bug(bug, workers=1):
    r, ex = _bug_run(bug, workers)
    res = {x.name: x for x in r.results}[bug.prop]
    assert res.status == "violated", res.detail
    tr = ex.traces[bug.prop]
    assert tr.length == res.trace_length == expected.bug(bug)["length"]
    assert tr.steps[-1].action == bug.last


_FORK = """
import gc, os
from ppcheck.checks.native.explorer import NativeExplorer
from ppcheck.models import get_model
from ppcheck.spec import build
sysm = build(get_model("counters"), "bench")
a = NativeExplorer(sysm, symmetry=False, workers=2, max_states=200000)
ra = a.run()
pid = os.fork()
if pid == 0:
    rb = NativeExplorer(sysm, symmetry=False, workers=2, max_states=200000).run()
    del a
    gc.collect()
    print("child", rb.states == ra.states, flush=True)
    os._exit(0)
print("parent", os.waitpid(pid, 0)[1], flush=True)
"""


def test_thread_pool_survives_fork():
    """A search's thread pool stays in the parent of a fork (the mutation runner forks):
    the child searches with a pool of its own and frees the parent's explorer without
    waiting for the parent's threads."""
    out = subprocess.run([sys.executable, "-c", _FORK], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["child", "True", "parent", "0"]


def test_seeded_bug_caught_with_the_shortest_trace():
    bug = next(b for b in BUGS if b.model.__name__ == "LostCacheCount")
    _check_bug(bug)
    _check_bug(bug, workers=2)


def test_budgets_give_an_honest_incomplete():
    run = NativeExplorer(build(get_model("counters"), "bench"), max_states=10_000, workers=1).run()
    assert not run.complete and run.reason == "state budget of 10000 reached"
    assert run.states >= 10_000 and run.exit_code == 3
    assert {r.status for r in run.results} == {"unknown"}


def test_without_a_compiler_the_python_explorer_runs(monkeypatch):
    monkeypatch.setenv("CC", "no-such-compiler")
    ex, note = make_explorer(build(get_model("increment")))
    assert type(ex) is Explorer
    assert note == "native explorer unavailable (no C compiler found (cc, gcc or $CC)); " \
        "using the python explorer"
    ex, note = make_explorer(build(get_model("increment")), "python")
    assert type(ex) is Explorer and note == ""


def test_bad_worker_count_in_the_environment_is_one_error_line(tmp_path):
    env = {**__import__("os").environ, "PPCHECK_WORKERS": "two"}
    out = subprocess.run([sys.executable, "-m", "ppcheck.cli", "check", "increment", "--out", "t",
                          "--backend", "native"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == \
        ["ppcheck: error: PPCHECK_WORKERS must be a positive integer, not 'two'"], out.stderr


def test_cli_backends_and_ctrl_c(tmp_path):
    """`--backend` picks the explorer; Ctrl-C in a native search is an honest incomplete."""
    out = subprocess.run([sys.executable, "-m", "ppcheck.cli", "check", "increment", "--out", "t",
                          "--backend", "native", "--workers", "2", "--json"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    p = subprocess.Popen([sys.executable, "-u", "-m", "ppcheck.cli", "check", "mainline", "--config",
                          "bench", "--no-symmetry", "--backend", "native", "--workers", "1",
                          "--out", "t"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         cwd=tmp_path)
    assert p.stderr is not None
    first = ""
    while True:  # the first progress line: the search is running
        first = p.stderr.readline()
        if "states" in first or not first:
            break
    p.send_signal(signal.SIGINT)
    stdout, err = p.communicate(timeout=120)
    if "states" not in first:  # pragma: no cover - the search ended before its first progress line
        pytest.skip("the search finished before it could be interrupted")
    assert p.returncode == 3, first + err
    assert "INCOMPLETE (interrupted (Ctrl-C))" in stdout


# -- the full cross-check (-m slow) ------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(_manifest()))
def test_manifest_entry_both_backends(key):
    model, config, sym = key.split("/")
    py = Explorer(build(get_model(model), config), symmetry=sym == "sym").run()
    nat = NativeExplorer(build(get_model(model), config), symmetry=sym == "sym").run()
    assert _summary(nat) == _summary(py)
    assert (nat.deadlocks, nat.coverage, nat.symmetry) == (py.deadlocks, py.coverage, py.symmetry)


def _seed_runs() -> list[str]:
    return sorted(json.loads((ROOT / "manifest.json").read_text())["seeds"])


@pytest.mark.slow
@pytest.mark.parametrize("key", _seed_runs())
@pytest.mark.parametrize("sym", [True, False], ids=["sym", "nosym"])
def test_seed_entry_both_backends(key, sym):
    model, config = key.split("/")
    py = Explorer(build(get_model(model), config), symmetry=sym).run()
    nat = NativeExplorer(build(get_model(model), config), symmetry=sym).run()
    assert _summary(nat) == _summary(py)
    assert (nat.deadlocks, nat.coverage) == (py.deadlocks, py.coverage)


@pytest.mark.slow
@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.model.__name__)
def test_every_seeded_bug_native(bug):
    _check_bug(bug, workers=2)


def test_random_order_of_chunks_does_not_matter():
    """Tiny chunks (many rounds per level, table growth mid-level) change nothing."""
    rnd = random.Random(1)
    sysm = build(get_model("counters"), "default")
    ref = _summary(Explorer(sysm).run())
    for _ in range(3):
        run = NativeExplorer(build(get_model("counters"), "default"), chunk=rnd.randint(1, 50),
                             workers=rnd.randint(1, 3)).run()
        assert _summary(run) == ref


def test_edges_are_the_python_ones():
    """The graph API (diff, quantity): the same transitions, state index by state index."""
    for model in ("slots", "increment", "counters"):
        for sym in (True, False):
            a = Explorer(build(get_model(model)), symmetry=sym)
            b = NativeExplorer(build(get_model(model)), symmetry=sym, workers=1)
            a.run()
            b.run()
            assert a.edges() == b.edges()
