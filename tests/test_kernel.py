"""The kernel harness: the unmodified page_pool.c of a Debian tree, built against the shim.

Marked ``kernel``; skipped (with the reason) when no tree is installed
(``apt-get install linux-source-6.12``, or ``PPCHECK_KERNEL_TREE_6_12=PATH``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ppcheck.cli import main
from ppcheck.kernel import bugs
from ppcheck.kernel.build import build, shim_lines
from ppcheck.kernel.coverage import parse_gcov
from ppcheck.kernel.driver import Kernel, Op
from ppcheck.kernel.explore import exhaustive
from ppcheck.kernel.scenarios import by_name
from ppcheck.kernel.spec_map import spec_hook_for
from ppcheck.kernel.suite import load_kernel_trace, replay_on_kernel
from ppcheck.kernel.tree import find_tree, open_tree

pytestmark = pytest.mark.kernel

T612 = find_tree("6.12")
T61 = find_tree("6.1")
needs612 = pytest.mark.skipif(T612 is None,
                              reason="no linux-source-6.12 tree (apt-get install linux-source-6.12)")
needs61 = pytest.mark.skipif(T61 is None, reason="no linux-source-6.1 tree (set PPCHECK_KERNEL_TREE_6_1)")


@pytest.fixture(scope="module")
def tree612():
    return open_tree(T612)


def _search(tree, name, patch=None, spec=True):
    sc = by_name(name)
    k = Kernel(build(tree, rt=sc.rt, patch=patch, fine=sc.fine))
    return exhaustive(k, sc, max_states=20000, spec=spec_hook_for(sc, tree) if spec else None, timeout=240)


def test_shim_is_small():
    assert 300 < shim_lines() < 2500


@needs612
def test_build_and_one_call(tree612):
    """page_pool_create + alloc through the boundary: a page from the fake buddy allocator,
    DMA-mapped, with pp_magic, counted in hold."""
    k = Kernel(build(tree612))
    assert k.kver == 612
    assert k.setup(2, 3, 2, 0, -1) == 0
    k.ctx_init(0, 0, True)
    pfn = k.run(0, Op.ALLOC)
    s = k.state()
    assert 0 <= pfn < 2 and s.pages[pfn].magic and s.pages[pfn].mapped and s.hold == 2
    assert s.inflight == 2 and len(s.cache) == 1


@needs612
@pytest.mark.parametrize("name", ["cross_cpu_free", "destroy_inflight", "destroy_inflight_nosync",
                                  "napi_local", "napi_local_rt", "unbind_inflight", "napi_reenabled",
                                  "extra_page_ref", "frag", "two_producers"])
def test_mainline_612_holds(tree612, name):
    res = _search(tree612, name)
    assert res.complete and res.states > 100
    assert res.violations == {}, {p: v.detail for p, v in res.violations.items()}
    assert set(by_name(name).witnesses) <= res.reached


@needs612
@pytest.mark.parametrize("bug", bugs.BUGS, ids=lambda b: b.name)
def test_seeded_bug_is_caught(tree612, bug):
    """The kill table: each seeded C bug fails its property on its scenario."""
    res = _search(tree612, bug.scenario, patch=bugs.patch_for(bug, tree612))
    assert bug.prop in res.violations, (bug.name, sorted(res.violations))
    assert res.violations[bug.prop].schedule  # with a trace


@needs612
def test_finding_percpu_destroy(tree612):
    """Seed 004 question 5 on the real code: a push into the scrubbed cache of a per-CPU pool."""
    res = _search(tree612, "percpu_destroy_local_free")
    v = res.violations["no_cache_push_after_destroy"]
    assert len(v.schedule) <= 20


@needs612
def test_cli_kernel(tree612, tmp_path, capsys):
    code = main(["kernel", "--tree", T612, "--scenario", "destroy_inflight", "--json", "-q",
                 "--out", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["command"] == "kernel" and out["runs"][0]["config"] == "destroy_inflight"
    import jsonschema

    from ppcheck.checks.report import schema_text

    jsonschema.validate(out, json.loads(schema_text()))
    code = main(["kernel", "--tree", T612, "--scenario", "two_producers", "--bug", "no_producer_lock",
                 "-q", "--out", str(tmp_path)])
    assert code == 1
    assert list(tmp_path.glob("kernel-6.12+no_producer_lock-two_producers-*.json"))


def test_cli_bad_tree(tmp_path, capsys):
    code = main(["kernel", "--tree", str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "no such kernel tree" in err
    (tmp_path / "Makefile").write_text("VERSION = 6\nPATCHLEVEL = 12\n")
    assert main(["kernel", "--tree", str(tmp_path)]) == 2
    assert "no net/core/page_pool.c" in capsys.readouterr().err
    assert main(["kernel", "--tree", str(tmp_path), "--scenario", "nope"]) == 2
    assert "unknown scenario" in capsys.readouterr().err


@needs612
def test_cli_bad_bug(capsys):
    assert main(["kernel", "--tree", T612, "--bug", "nope"]) == 2
    assert "unknown seeded bug" in capsys.readouterr().err


@needs61
def test_61_builds_and_holds():
    t = open_tree(T61)
    assert t.kver == 601
    res = _search(t, "cross_cpu_free")
    assert res.complete and res.violations == {}


@needs61
def test_61_unbind_without_dma_tracking():
    """6.1 has no dma_mapped tracking: a page returned after unbind is unmapped then."""
    res = _search(open_tree(T61), "unbind_inflight_untracked")
    assert "no_dma_after_unbind" in res.violations


@needs612
def test_replay_kernel_trace(tree612, tmp_path, capsys):
    """A seeded bug's trace reproduces on the patched build and not on the tree as shipped."""
    assert main(["kernel", "--tree", T612, "--scenario", "unbind_inflight", "--bug", "scrub_no_unmap",
                 "-q", "--out", str(tmp_path)]) == 1
    trace = next(tmp_path.glob("kernel-6.12+scrub_no_unmap-unbind_inflight-no_dma_after_unbind.json"))
    capsys.readouterr()
    assert main(["replay", "--kernel", T612, "--bug", "scrub_no_unmap", str(trace)]) == 0
    assert "reproduces on linux 6.12" in capsys.readouterr().out
    assert main(["replay", "--kernel", T612, str(trace)]) == 1
    assert "does not reproduce" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["replay", "--kernel", T612, str(bad)]) == 2


STORED = sorted((Path(__file__).resolve().parent.parent / "counterexamples" / "kernel").glob("*.json"))


@pytest.mark.parametrize("trace", STORED, ids=lambda p: p.name)
def test_stored_kernel_traces_reproduce(trace):
    """The findings' traces re-run on the tree they were found on (CI: 6.12 and 6.1)."""
    d = load_kernel_trace(str(trace))
    path = find_tree(d["tree"])
    if path is None:
        pytest.skip(f"no linux-source-{d['tree']} tree")
    ok, text = replay_on_kernel(open_tree(path), d)
    assert ok, text


def test_parse_gcov():
    out = ("File 'src/net/core/page_pool.c'\nLines executed:72.18% of 435\n\n"
           "File 'include/linux/ptr_ring.h'\nLines executed:50.00% of 10\n")
    assert parse_gcov(out, "page_pool.c") == (314, 435)
    with pytest.raises(ValueError):
        parse_gcov(out, "skbuff.c")


@needs612
def test_rcu_fix_closes_percpu_window(tree612):
    """Yunsheng Lin's proposal (rcu_read_lock around the check and the push, synchronize_rcu in
    destroy), applied to the real code: the per-CPU destroy window is gone."""
    fix = bugs.by_name("rcu_napi_local")
    res = _search(tree612, fix.scenario, patch=bugs.patch_for(fix, tree612))
    assert res.complete and res.violations == {}


def test_action_table_names_spec_actions():
    """Every action the call table names is an action of models/mainline."""
    from ppcheck.kernel.spec_map import ACTION_OF
    from ppcheck.loading import resolve_one

    names = {a.name for a in resolve_one("mainline").action_defs()}
    assert {a for acts in ACTION_OF.values() for a in acts} <= names
    # ALLOC_FRAGMENTED is seed 003's (pp003_before, spec_replay_frag), not mainline's
    assert set(ACTION_OF) == set(Op) - {Op.REF, Op.DISABLE_DIRECT, Op.ALLOC_FRAGMENTED}
