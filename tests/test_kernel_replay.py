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
    for cfg in ("base", "frag", "threaded", "busypoll", "reconfig1", "bulk", "xdp", "numa"):
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


# -- the pool paths of issue 11's last stop: bulk free and allocation, XDP memory model, NUMA,
# pfmemalloc (each witness reproduced, and each one diverges on a C edit of its path) --------

def _witnesses(tmp: Path, cfg: str) -> dict[str, Path]:
    _run, ex = check("mainline", cfg)
    return {name: write_trace(tr, tmp / f"mainline-{cfg}-{name}.json")
            for name, tr in ex.traces.items() if tr.kind == "sometimes"}


@pytest.fixture(scope="module")
def path_witnesses(tmp_path_factory):
    out = tmp_path_factory.mktemp("pathwit")
    return {cfg: _witnesses(out, cfg) for cfg in ("bulk", "xdp", "numa")}


def _edit(name: str, old: str, new: str) -> bugs.Bug:
    """A C edit of page_pool.c for one test (not a kill-table bug: no scenario of its own)."""
    return bugs.Bug(name, "", "net/core/page_pool.c", old, new, "", "")


#: (configuration, witness, the edit that breaks the path the witness takes)
PATH_EDITS = [
    ("bulk", "bulk_not_last_ref", _edit("bulk_every_ref_last",
                                        "\t\tif (!page_pool_is_last_ref(netmem))\n\t\t\tcontinue;\n", "")),
    ("bulk", "bulk_ring_full_return", _edit(
        "bulk_ring_full_drop",
        "\tfor (; i < bulk_len; i++)\n\t\tpage_pool_return_page(pool, (__force netmem_ref)data[i]);\n}",
        "}")),
    ("xdp", "destroy_deferred_to_last_user", _edit(
        "xdp_mem_no_user", "\trefcount_inc(&pool->user_cnt);\n\tpool->disconnect = disconnect;",
        "\tpool->disconnect = disconnect;")),
    ("numa", "nid_updated_cache_flushed", _edit(
        "update_nid_no_flush",
        "\twhile (pool->alloc.count) {\n\t\tnetmem = pool->alloc.cache[--pool->alloc.count];\n"
        "\t\tpage_pool_return_page(pool, netmem);\n\t}\n}\nEXPORT_SYMBOL(page_pool_update_nid);",
        "}\nEXPORT_SYMBOL(page_pool_update_nid);")),
    ("numa", "refill_waived_remote_page", _edit(
        "refill_any_node", "if (likely(netmem_is_pref_nid(netmem, pref_nid))) {", "if (1) {")),
    ("numa", "pfmemalloc_page_released", _edit(
        "recycle_pfmemalloc", "\t\t!page_is_pfmemalloc(netmem_to_page(netmem)));", "\t\t1);")),
]


@needs612
@pytest.mark.parametrize("cfg", ["bulk", "xdp", "numa"])
def test_pool_path_witnesses_reproduced(tree612, path_witnesses, cfg):
    """Every witness of the bulk, xdp and numa configurations reproduces on 6.12."""
    bad = {n: f"{o.verdict}: {o.detail}" for n, p in path_witnesses[cfg].items()
           if (o := replay_spec_trace(tree612, p)).verdict != "reproduced"}
    assert not bad, bad
    assert len(path_witnesses[cfg]) >= 10


@needs612
@pytest.mark.parametrize(("cfg", "name", "edit"), PATH_EDITS, ids=[e[2].name for e in PATH_EDITS])
def test_pool_path_edit_diverges(tree612, path_witnesses, cfg, name, edit):
    """The replay reads the path it maps: with the C code of that path broken, the witness no
    longer reproduces (a state differs, a property fails, or the kernel-side witness is missed)."""
    out = replay_spec_trace(tree612, path_witnesses[cfg][name], patch=bugs.patch_for(edit, tree612))
    assert out.verdict in ("diverged", "not reproduced"), out.detail


@needs612
def test_bulk_translation_orders_data_as_the_spec_loop(path_witnesses):
    """xdp_return_frame_bulk() queues, xdp_flush_frame_bulk() is one page_pool_put_page_bulk()
    call whose data[] follows the spec's page_pool_is_last_ref() order."""
    tr = translate(load_trace(path_witnesses["bulk"]["bulk_ring_full_return"]))
    progs = {c.name: [i.text() for i in c.program] for c in tr.scenario.contexts}
    assert progs["user@1"] == ["page_pool_put_page_bulk([p0, p1])"]


@needs612
@pytest.mark.parametrize("cfg,name", [("reconfig1", "destroy_deferred_then_freed"),
                                      ("threaded", "counters_wrapped")])
def test_former_divergences_reproduce(tree612, tmp_path, cfg, name):
    """The two divergences the last stop explained: a softirq may run before spin_lock_bh()
    disables BH (reconfig1), and a slot the refill is about to store into is not a cached page
    (threaded: the stale pointer there was a freed page)."""
    out = replay_spec_trace(tree612, _witnesses(tmp_path, cfg)[name])
    assert out.verdict == "reproduced", out.detail


@needs612
def test_memory_provider_traces_say_why(tree612, tmp_path):
    """devmem's traces are not applicable, and the reason names what the harness lacks."""
    tr = load_trace(next(iter(_witnesses(tmp_path, "devmem").values())))
    why = spec_replay.applies(tr, tree612)
    assert "dma-buf" in why and "net_iov" in why


# -- seed 003's pp003_before (PP_FLAG_PAGE_FRAG, pp_frag_count) on linux 6.1 ----------------------

needs61 = pytest.mark.skipif(T61 is None,
                             reason="no linux-source-6.1 tree (apt-get install linux-source-6.1)")
PP003_CEX = sorted(CEX.glob("pp003_before-*.json"))


@pytest.fixture(scope="module")
def tree61():
    if T61 is None:
        pytest.skip("no linux-source-6.1 tree")
    return open_tree(T61)


@pytest.fixture(scope="module")
def pp003_witnesses(tmp_path_factory):
    out = tmp_path_factory.mktemp("pp003")
    paths = {}
    for cfg in ("mixed", "mlx5", "halves"):
        _run, ex = check("pp003_before", cfg)
        for name, tr in ex.traces.items():
            if tr.kind == "sometimes":
                paths[f"{cfg}-{name}"] = write_trace(tr, out / f"pp003_before-{cfg}-{name}.json")
    return paths


@needs61
def test_pp003_before_witnesses_on_61(tree61, pp003_witnesses):
    """Every pp003_before witness of mixed, mlx5 and halves reproduces on 6.1's page_pool.c."""
    bad = {n: f"{o.verdict}: {o.detail}" for n, p in pp003_witnesses.items()
           if (o := replay_spec_trace(tree61, p)).verdict != "reproduced"}
    assert not bad, bad
    assert len(pp003_witnesses) >= 11


@needs61
@pytest.mark.parametrize("path", PP003_CEX, ids=lambda p: p.name)
def test_pp003_before_counterexamples_on_61(tree61, path):
    """The broken contract of seed 003 (a whole page from a frag pool: pp_frag_count 0, the
    put goes negative, the page is never returned) fails the same property on 6.1."""
    out = replay_spec_trace(tree61, path)
    assert out.verdict == "reproduced", out.detail
    assert load_trace(path).property in out.failed


@needs61
def test_pp003_before_frag_count_edit_diverges(tree61, pp003_witnesses):
    """The replay reads pp_frag_count: with page_pool_alloc_frag() setting 1 instead of
    BIAS_MAX, two frags of one page no longer agree with the spec."""
    edit = _edit("frag_count_one", "\t\tpage_pool_fragment_page(page, BIAS_MAX);",
                 "\t\tpage_pool_fragment_page(page, 1);")
    out = replay_spec_trace(tree61, pp003_witnesses["mixed-page_shared_by_frags"],
                            patch=bugs.patch_for(edit, tree61))
    assert out.verdict == "diverged", out.detail


@needs612
def test_pp003_before_not_on_612(tree612):
    out = replay_spec_trace(tree612, CEX / "pp003_before-mixed-no_leaked_page.json")
    assert out.verdict == "not applicable" and "5.15 to 6.6" in out.detail


@needs612
@pytest.mark.parametrize("name", ["pp004_no_rt_check-rt-page_in_one_place.json",
                                  "pp004_no_rt_check-percpu_rt-page_in_one_place.json"])
def test_two_stores_into_one_slot(tree612, name):
    """Seed 004's RT race: two contexts push into alloc.cache slot 0. The spec keeps both pages
    there (page_in_one_place); the C code keeps one pointer and loses the other, which the
    harness records as a store over another context's page. Without the RT test reverted the
    kernel does not race."""
    out = replay_spec_trace(tree612, CEX / name)
    assert out.verdict == "reproduced", out.detail
    assert "cache_slot_overwrite" in out.failed["page_in_one_place"]
    as_is = replay_spec_trace(tree612, CEX / name, patch="")
    assert "page_in_one_place" not in as_is.failed, as_is.detail
