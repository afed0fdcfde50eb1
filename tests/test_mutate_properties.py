"""The kernel properties added after issue 14's mutation run on the split model (commit 29125c2,
docs/mutation-mainline.md): each holds on the unmutated model and catches a seeded bug planted
with the mutation operators (found by action, operator and description, not by ordinal), and
its shortest counterexample ends with the mutated action, taken by the context it names.

The bugs: put_page() at _refcount 0 that frees the page with its pfmemalloc mark set
(``buddy_page_not_pfmemalloc``); page_pool_unref_netmem()'s last-user path returning to the
read step instead of to its caller, with no page (``free_path_holds_its_netmem``); the second
step of page_pool_unref_netmem() taken by the driver's control context while the softirq of
its CPU is inside page_pool_put_netmem() (``steps_respect_cpu_exclusion``); napi_poll_end()
keeping a disabled NAPI scheduled (``disabled_napi_poll_completes``); page_pool_alloc_frag()
handing out a frag with no frag page, or outside the NAPI poll (``frags_come_from_frag_page``);
kfree_skb() started by a context still inside skb_release_data() (``skb_data_held``); put_page()
that never lets _refcount reach 0 (``refcount_counts_references``); an allocation that fails
with netmems in alloc.cache (``failed_allocation_found_cache_empty``, from the equivalence
modulo dead fields run: the CI sample's survivor ``page_pool_alloc_fail:require3``).  The witness
``page_ref_on_open_frag_page`` is reached on the model and vacuous when get_page() demands a
second pp holder (a scope that loses the page reference taken on a frag page with one user).
"""

from __future__ import annotations

import functools

import pytest

from ppcheck.checks.mutate import plan, probe
from ppcheck.checks.native import make_explorer
from ppcheck.checks.verdict import HOLDS, REACHED, VACUOUS, VIOLATED
from ppcheck.models import get_model
from ppcheck.spec.model import build
from ppcheck.spec.mutation import build_mutant

CASES = [
    # property, configuration, action, operator, description, who takes the last step
    ("buddy_page_not_pfmemalloc", "frag", "page_pool_empty_alloc_cache_once", "const",
     "constant pages[0].pfmemalloc = False -> True", None),
    ("free_path_holds_its_netmem", "frag", "page_pool_unref_read", "const",
     "constant ctxs[0].pc = 0 -> 1", None),
    ("steps_respect_cpu_exclusion", "frag", "page_pool_unref_read", "drop_require",
     "drop require conjunct `~((ctxs[1].pc != 0) | ctxs[1].in_poll | (ctxs[1].bpc != 0))`",
     "ctxs[2]"),
    ("disabled_napi_poll_completes", "frag", "napi_poll_end", "drop_require",
     "drop require conjunct `napi.enabled`", "ctxs[0]"),
    ("frags_come_from_frag_page", "frag", "page_pool_alloc_frag", "drop_require",
     "drop require conjunct `(pool.frag_page != -1)`", "ctxs[0]"),
    ("frags_come_from_frag_page", "frag", "page_pool_alloc_frag", "drop_require",
     "drop require conjunct `ctxs[0].in_poll`", "ctxs[0]"),
    ("skb_data_held", "skb", "kfree_skb", "drop_require",
     "drop require conjunct `(ctxs[0].sh == -1)`", None),
    ("refcount_counts_references", "numa", "page_pool_update_nid", "const",
     "constant 0 -> 1 in max((pages[0].refcnt - 1), 0)", None),
    ("failed_allocation_found_cache_empty", "frag", "page_pool_alloc_fail", "drop_require",
     "drop require conjunct `(pool.alloc_count == 0)`", "ctxs[0]"),
]
#: witnesses: reached on the model, vacuous on the mutant
WITNESSES = [
    ("page_ref_on_open_frag_page", "frag", "get_page", "const",
     "constant 0 -> 1 in (0 < pages[0].pp_holders)"),
]


@functools.cache
def _probed(config: str):
    """The mainline model in ``config`` and its probe (traced once per configuration)."""
    model = get_model("mainline")
    cfg = model.config(config)
    return model, cfg, probe(model, [cfg], backend="native")


def _mutant(config: str, action: str, operator: str, label: str):
    """The mainline model in ``config``, and its mutant found by action, operator and label."""
    model, cfg, pr = _probed(config)
    found = [m for m in plan(pr) if (m.site.action, m.operator, m.label) == (action, operator, label)]
    assert found, f"no mutant {action} {operator} {label!r}: the model's site changed"
    return build(model, cfg), build_mutant(model, found[0], cfg, pr.bases[0].system)


def _explore(system, prop: str):
    """The explorer run on ``system`` for ``prop`` alone (compiled when a C compiler is found:
    the skb configurations have 10^5 states), stopping at the first violation."""
    ex, _ = make_explorer(system, None, properties=[prop], stop_at_first=True)
    ex.result = ex.run()
    return ex


def _status(ex, prop: str) -> str:
    return next(r.status for r in ex.result.results if r.name == prop)


@pytest.mark.parametrize(("prop", "config", "action", "operator", "label", "who"), CASES,
                         ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_property_holds_and_catches_its_seeded_bug(prop, config, action, operator, label, who):
    original, mutant = _mutant(config, action, operator, label)
    assert _status(_explore(original, prop), prop) == HOLDS
    ex = _explore(mutant, prop)
    assert _status(ex, prop) == VIOLATED
    last = ex.traces[prop].steps[-1]
    assert last.action == action
    if who is not None:
        assert last.who == who


@pytest.mark.parametrize(("prop", "config", "action", "operator", "label"), WITNESSES,
                         ids=[c[0] for c in WITNESSES])
def test_witness_reached_and_vacuous_on_its_seeded_bug(prop, config, action, operator, label):
    original, mutant = _mutant(config, action, operator, label)
    assert _status(_explore(original, prop), prop) == REACHED
    assert _status(_explore(mutant, prop), prop) == VACUOUS
