"""The pool paths of the mainline model (models/mainline/{provider,bulk,xdp}.py): the stories
of their seeded bugs, and seed 002 on mainline's memory-provider vocabulary.  The verdicts,
witnesses and shortest counterexamples are pinned in tests/test_mainline.py (``BUGS``)."""

from __future__ import annotations

import shared
from seeded_bugs import BulkStatAfterUnlock, DestroyIgnoresUsers

from ppcheck.models import get_model
from ppcheck.models.mainline import Mainline
from ppcheck.models.mainline.provider import ProviderActions
from ppcheck.spec import build


def _trace(model, config, prop):
    """The seeded bug's shortest counterexample: the manifest's search (tests/shared.py), which
    test_manifest's bugs/<model>/<config>/<prop> shares (the same xdist group)."""
    _, ex = shared.explore(model, config, properties=[prop], stop_at_first=True, timeout=shared.BUG_TIMEOUT)
    return [(st.who, st.action) for st in ex.traces[prop].steps[1:]]


@shared.group(f"{BulkStatAfterUnlock.name}/bulk/no_pool_use_after_free")
def test_bulk_stat_after_unlock_is_a_use_after_free():
    """The bulk drops the producer lock, the release worker's page_pool_release() takes it,
    finds nothing in flight and frees the pool; the bulk's stats update then writes it."""
    steps = _trace(BulkStatAfterUnlock, "bulk", "no_pool_use_after_free")
    names = [a for _, a in steps]
    unlock = names.index("page_pool_recycle_ring_bulk_unlock")
    freed = max(i for i, a in enumerate(names) if a == "page_pool_release_unlock")
    assert unlock < freed < len(names) - 1
    assert steps[-1] == ("ctxs[1]", "recycle_stat_add")
    assert steps[unlock][0] == "ctxs[1]" and steps[freed][0] != "ctxs[1]"


@shared.group(f"{DestroyIgnoresUsers.name}/xdp/pool_alive_while_registered")
def test_destroy_without_user_count_frees_a_registered_pool():
    """Without page_pool_put() the driver's page_pool_destroy() tears the pool down while the
    XDP memory model is still registered."""
    steps = _trace(DestroyIgnoresUsers, "xdp", "pool_alive_while_registered")
    names = [a for _, a in steps]
    assert "xdp_rxq_info_reg_mem_model" in names
    assert names[-1] == "page_pool_destroy"
    assert "xdp_rxq_info_unreg_mem_model" not in names


def test_seed002_uses_the_mainline_provider_paths():
    """pp002_net_iov is mainline with the devmem configuration; pp002_page keeps the page-only
    bodies, so their diff on page configurations compares different code."""
    iov, page = get_model("pp002_net_iov"), get_model("pp002_page")
    assert issubclass(iov, Mainline)
    assert iov.can_be_recycled is ProviderActions.can_be_recycled
    assert page.can_be_recycled is not ProviderActions.can_be_recycled
    assert iov.configs["devmem"]["mp"] and not iov.configs["devmem"]["dma_sync"]


def test_pool_path_fields_are_constant_when_off():
    """The new fields cost no states where their mechanism is off: the base configuration has
    one value per field for them (as the pinned state counts also show)."""
    sysm = build(Mainline, "base")
    init = sysm.layout.to_json(sysm.init_states[0])
    assert {(p["niov"], p["pfmemalloc"], p["bulk"]) for p in init["pages"]} == {(False, False, "NONE")}
    assert init["pool"]["user_cnt"] == 1 and init["pool"]["mem_model"] == "NONE"
