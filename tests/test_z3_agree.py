"""Per-property agreement: the explorer and the Z3 engines give the same verdicts.

For every toy and mainline configuration below, "violated (or reached) within k steps"
agrees between the explorer (BFS: the depth of its shortest trace) and BMC at bound k,
with the same shortest length; every Z3 *proved* is an explorer *holds*, every Z3
*vacuous* an explorer *vacuous*; every trace replays (STYLE.md, recommendation 11.2).
"""

from __future__ import annotations

import pytest

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.prove import prove
from ppcheck.checks.replay import replay
from ppcheck.checks.traces import load_trace
from ppcheck.checks.verdict import (
    HOLDS,
    HOLDS_TO_DEPTH,
    PROVED,
    REACHED,
    VACUOUS,
    VIOLATED,
    RunResult,
)
from ppcheck.models import get_model
from ppcheck.spec.model import LEADS_TO, build

#: (model, configuration, BMC bound)
CASES = [
    ("increment", "default", 8),
    ("increment", "three", 8),
    ("increment_lock", "default", 8),
    ("slots", "default", 6),
    ("counters", "default", 27),
    ("unreachable", "default", 5),
    ("mainline", "base", 6),
    ("mainline", "frag", 6),
]

_EXPLORED: dict[tuple[str, str], RunResult] = {}


def explored(model: str, cfg: str) -> RunResult:
    if (model, cfg) not in _EXPLORED:
        run = Explorer(build(get_model(model), cfg)).run()
        assert run.complete
        _EXPLORED[model, cfg] = run
    return _EXPLORED[model, cfg]


def _by_name(run: RunResult) -> dict:
    return {r.name: r for r in run.results}


@pytest.mark.parametrize("model,cfg,k", CASES)
def test_bmc_agrees_with_explorer_within_k(model: str, cfg: str, k: int, tmp_path) -> None:
    system = build(get_model(model), cfg)
    ex = _by_name(explored(model, cfg))
    z = prove(system, "bmc", depth=k, timeout=None, out_dir=tmp_path)
    zr = _by_name(z)
    for name, e in ex.items():
        r = zr[name]
        if e.kind == LEADS_TO:  # lassos: verdicts agree (lengths need not: BFS does not order them)
            if r.status == VIOLATED:
                assert e.status == VIOLATED, f"{name}: BMC finds a lasso, the explorer says {e.status}"
                replay(load_trace(r.trace_file), system)
            else:
                assert r.status in (HOLDS_TO_DEPTH, PROVED), (name, r.status)
                assert r.status != PROVED or e.status == HOLDS
            continue
        if e.status in (VIOLATED, REACHED) and e.trace_length <= k:
            assert r.status == e.status, f"{name}: explorer {e.status} in {e.trace_length}, BMC {r.status}"
            assert r.trace_length == e.trace_length, f"{name}: shortest lengths differ"
        elif r.status in (VIOLATED, REACHED):
            pytest.fail(f"{name}: BMC finds {r.status} in {r.trace_length} steps, the explorer "
                        f"says {e.status} ({e.trace_length})")
        elif r.status == PROVED:
            assert e.status == HOLDS, f"{name}: Z3 proved it, the explorer says {e.status}"
        elif r.status == VACUOUS:
            assert e.status == VACUOUS
        else:
            assert r.status == HOLDS_TO_DEPTH or (e.kind == "sometimes" and r.status == "unknown"), \
                f"{name}: {r.status}"
        if r.trace_file:
            replay(load_trace(r.trace_file), system)


TOYS = [("increment", "default"), ("increment_lock", "default"), ("slots", "default"),
        ("unreachable", "default"), ("counters", "default")]


@pytest.mark.parametrize("engine", ["kind", "chc"])
@pytest.mark.parametrize("model,cfg", TOYS)
def test_proof_engines_agree_with_explorer(model: str, cfg: str, engine: str) -> None:
    system = build(get_model(model), cfg)
    ex = _by_name(explored(model, cfg))
    z = prove(system, engine, depth=None, timeout=60)
    for r in z.results:
        e = ex[r.name]
        if r.status == PROVED:
            assert e.status == HOLDS, f"{r.name}: {engine} proved it, the explorer says {e.status}"
        elif r.status in (VIOLATED, REACHED):
            assert e.status == r.status and e.trace_length == r.trace_length, r.name
        elif r.status == VACUOUS:
            assert e.status == VACUOUS, r.name
    # on the toys, every verdict is definite
    assert z.complete, [(r.name, r.status, r.detail) for r in z.results]


# -- every recorded explorer verdict (manifest.json: runs and seeds) -----------------------------

def _recorded() -> list:
    import expected

    out = []
    for section in ("runs", "seeds"):
        for key, v in sorted(expected.DATA[section].items()):
            if v.get("symmetry") or "verdicts" not in v or not v.get("complete", True):
                continue
            model, cfg = key.split("/")[:2]
            big = v.get("states", 0) > 20_000
            k = 4 if big else 6
            marks = [pytest.mark.slow] if big else []
            out.append(pytest.param(model, cfg, k, v, id=f"{model}/{cfg}/depth{k}", marks=marks))
    return out


@pytest.mark.parametrize("model,cfg,k,rec", _recorded())
def test_bmc_agrees_with_recorded_explorer_verdicts(model: str, cfg: str, k: int, rec: dict) -> None:
    """BMC at bound k against every recorded (complete) explorer run of the manifest (the
    large ones marked slow)."""
    import expected

    expected.require_fresh((model, cfg))  # a changed model fails test_manifest once instead
    system = build(get_model(model), cfg)
    z = _by_name(prove(system, "bmc", depth=k, timeout=20))
    lengths = rec.get("trace_lengths", {})
    for name, status in rec["verdicts"].items():
        if name not in z:
            continue
        r = z[name]
        if r.kind == LEADS_TO:
            assert r.status != VIOLATED or status == VIOLATED, name
            continue
        if status in (VIOLATED, REACHED) and name not in lengths:  # length not recorded
            assert r.status in (status, HOLDS_TO_DEPTH, "unknown"), name
        elif status in (VIOLATED, REACHED) and lengths[name] <= k:
            assert (r.status, r.trace_length) == (status, lengths[name]), name
        else:
            assert r.status not in (VIOLATED, REACHED), f"{name}: BMC {r.status} in {r.trace_length}"
            assert r.status != PROVED or status == HOLDS, name
            assert r.status != VACUOUS or status == VACUOUS, name
