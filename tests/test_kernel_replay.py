"""Spec traces replayed step for step on a kernel tree's page_pool.c (kernel/spec_replay.py).

Marked ``kernel`` (skipped without a tree); the sweep over every mainline witness and every
stored counterexample is marked ``slow`` (its figures are in docs/kernel.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shared

from ppcheck.checks.traces import load_trace, write_trace
from ppcheck.cli import main
from ppcheck.kernel import bugs, spec_replay
from ppcheck.kernel.spec_replay import EXPLAINED, STEPS, replay_spec_trace, translate
from ppcheck.kernel.tree import find_tree, open_tree
from ppcheck.loading import resolve_one
from ppcheck.testing import check

pytestmark = pytest.mark.kernel

ROOT = Path(__file__).resolve().parent.parent
CEX = ROOT / "counterexamples"
T612 = find_tree("6.12")
T61 = find_tree("6.1")
needs612 = pytest.mark.skipif(T612 is None,
                              reason="no linux-source-6.12 tree (apt-get install linux-source-6.12)")


@pytest.fixture(scope="module")
def tree612():
    if T612 is None:
        pytest.skip("no linux-source-6.12 tree")
    return open_tree(T612)


#: the tests that read mainline/base's witnesses share that search with test_manifest's
#: runs/mainline/base/sym and the agreement case mainline/base (tests/shared.py)
_BASE = shared.group("mainline/base/sym")


@pytest.fixture(scope="module")
def base_witnesses(tmp_path_factory):
    """mainline/base's witness traces, as `ppcheck check` finds them (shortest, BFS: the
    explorer with symmetry and every property, ppcheck.testing.check's search)."""
    run, ex = shared.explore(resolve_one("mainline"), "base")
    out = tmp_path_factory.mktemp("witnesses")
    paths = {}
    for name, tr in ex.traces.items():
        if tr.kind == "sometimes":
            paths[name] = write_trace(tr, out / f"mainline-base-{name}.json")
    return paths


def test_step_table_names_spec_actions():
    """Every row of the translation table is an action of mainline."""
    from ppcheck.loading import build_system

    actions = set()
    m = resolve_one("mainline")
    for cfg in ("base", "frag", "threaded", "busypoll", "reconfig1"):
        actions |= {b.action for b in build_system(m, m.config(cfg)).bindings}
    assert not set(STEPS) - actions


@_BASE
def test_translation_groups_calls(base_witnesses):
    """A witness becomes kernel calls: the NAPI allocates, the CPU-1 softirq puts once."""
    tr = translate(load_trace(base_witnesses["refill_from_ring"]))
    progs = {c.name: [i.text() for i in c.program] for c in tr.scenario.contexts}
    assert progs["softirq@0"] == ["page_pool_alloc_pages(p0)", "page_pool_alloc_pages(p0)"]
    assert progs["softirq@1"] == ["page_pool_put_full_page(p0, allow_direct=false)"]


@_BASE
@needs612
@pytest.mark.parametrize("name", ["refill_from_ring", "destroy_deferred_then_freed"])
def test_witness_reproduced(tree612, base_witnesses, name):
    out = replay_spec_trace(tree612, base_witnesses[name])
    assert out.verdict == "reproduced", out.detail
    assert out.compared >= 2


@needs612
@pytest.mark.parametrize("name", ["mainline-percpu_destroy-no_leaked_page.json",
                                  "pp004_no_rt_check-rt-alloc_cache_single_owner.json"])
def test_stored_counterexample_reproduced(tree612, name):
    out = replay_spec_trace(tree612, CEX / name)
    assert out.verdict == "reproduced", out.detail
    assert load_trace(CEX / name).property in out.failed


@needs612
def test_variant_needs_its_old_code(tree612):
    """pp004_no_rt_check's trace reproduces with the RT test reverted, not on 6.12 as shipped."""
    path = CEX / "pp004_no_rt_check-rt-alloc_cache_single_owner.json"
    as_is = replay_spec_trace(tree612, path, patch="")
    assert as_is.verdict == "not reproduced", as_is.detail


@_BASE
@needs612
def test_seeded_c_bug_diverges(tree612, base_witnesses):
    """The replay can fail: with page_pool_return_page() not counting releases, the quiescent
    state after the return differs from the spec's."""
    patch = bugs.patch_for(bugs.by_name("no_release_count"), tree612)
    out = replay_spec_trace(tree612, base_witnesses["destroy_deferred_then_freed"], patch=patch)
    assert out.verdict == "diverged", out.detail
    assert "inflight_exact" in out.failed


@_BASE
@needs612
def test_cli_replays_spec_trace(base_witnesses, capsys):
    assert main(["replay", "--kernel", T612, str(base_witnesses["ring_full"])]) == 0
    assert "reproduced on linux 6.12" in capsys.readouterr().out


@_BASE
@pytest.mark.skipif(T61 is None, reason="no linux-source-6.1 tree")
def test_cli_spec_trace_not_applicable_on_61(base_witnesses, capsys):
    assert main(["replay", "--kernel", T61, str(base_witnesses["ring_full"])]) == 2
    assert "not applicable" in capsys.readouterr().err


def _sweep_paths(tmp: Path) -> list[Path]:
    from ppcheck.models.mainline import DEFAULT_CONFIGS

    paths = []
    for cfg in (*DEFAULT_CONFIGS, "percpu_destroy"):
        _run, ex = check("mainline", cfg)
        for name, tr in ex.traces.items():
            if tr.kind == "sometimes":
                paths.append(write_trace(tr, tmp / f"mainline-{cfg}-{name}.json"))
    return paths + sorted(CEX.glob("*.json"))


@needs612
@pytest.mark.slow
def test_sweep_every_witness_and_counterexample(tree612, tmp_path):
    """Every mainline witness and stored counterexample: reproduced, not applicable (with the
    reason), or a divergence docs/kernel.md explains (EXPLAINED)."""
    unexplained = []
    for name, out in spec_replay.sweep(tree612, _sweep_paths(tmp_path)):
        if out.verdict in ("reproduced", "not applicable"):
            continue
        tr = load_trace(tmp_path / name if (tmp_path / name).exists() else CEX / name)
        if (tr.model, tr.config.get("name"), tr.property) not in EXPLAINED:
            unexplained.append(f"{name}: {out.verdict}: {out.detail}")
    assert not unexplained, "\n".join(unexplained)
