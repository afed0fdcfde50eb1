"""Progress properties (issue 9.4) and the release worker's contract (issue 16): each seeded
bug of tests/progress_bugs.py breaks its leads_to property with a short lasso or deadlock, and
mainline keeps the property in the same configuration."""

from __future__ import annotations

import pytest
from progress_bugs import (
    LostRingUnlock,
    RefillNeedsFullBatch,
    ReleaseCountedTwice,
    WorkerGivesUp,
    WorkerRetriesOnNegative,
)

from ppcheck.checks.explorer import Explorer
from ppcheck.models.mainline import Mainline
from ppcheck.spec import build

POLL = ["napi_schedule", "napi_poll_begin", "napi_poll_end"]
RETRY = ["page_pool_release_retry", "page_pool_scrub", "page_pool_inflight",
         "page_pool_release_lock", "page_pool_release_unlock"]


def _run(model, cfg: str, props: list[str]):
    ex = Explorer(build(model, cfg), properties=props)
    r = ex.run()
    return {x.name: x for x in r.results}, ex.traces


def _loop(tr) -> list[str] | None:
    return None if tr.loop_start is None else [st.action for st in tr.steps[tr.loop_start + 1:]]


# (bug, configuration, property, trace length, loop (None: a deadlock), last action)
CASES = [
    (LostRingUnlock, "polling", "dropped_page_returns", 26, POLL, "napi_poll_end"),
    (RefillNeedsFullBatch, "polling", "recycled_page_reallocated", 16, POLL, "napi_poll_end"),
    (WorkerGivesUp, "frag", "pool_freed_once_pages_returned", 30, None, "page_pool_release_unlock"),
    (WorkerRetriesOnNegative, "frag", "release_worker_stops", 31, RETRY[2:] + RETRY[:2],
     "page_pool_scrub"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0].__name__)
def test_seeded_bug_breaks_progress(case):
    model, cfg, prop, length, loop, last = case
    res, traces = _run(model, cfg, [prop])
    assert res[prop].status == "violated", res[prop].detail
    tr = traces[prop]
    assert (tr.length, _loop(tr), tr.steps[-1].action) == (length, loop, last)
    ok, _ = _run(Mainline, cfg, [prop])
    assert ok[prop].status == "holds", ok[prop].detail


def test_worker_stopping_is_told_apart_from_the_pool_being_freed():
    """A page returned twice: the kernel's worker WARNs and stops (release_worker_stops holds)
    but the pool leaks (destroy_completes); a worker that re-arms on negative inflight never
    stops; a worker that gives up early stops, and the returned pages never free the pool.
    (With inflight negative, every page back is not enough either: the pool is never freed.)"""
    props = ["action_assertions", "destroy_completes", "release_worker_stops",
             "pool_freed_once_pages_returned"]
    warn, _ = _run(ReleaseCountedTwice, "frag", props)
    assert {k: v.status for k, v in warn.items()} == {
        "action_assertions": "violated", "destroy_completes": "violated",
        "release_worker_stops": "holds", "pool_freed_once_pages_returned": "violated"}
    assert "Negative inflight" in warn["action_assertions"].detail
    spin, traces = _run(WorkerRetriesOnNegative, "frag", props)
    assert spin["release_worker_stops"].status == "violated"
    assert set(_loop(traces["release_worker_stops"])) == set(RETRY)
    gives_up, _ = _run(WorkerGivesUp, "frag", props)
    assert gives_up["release_worker_stops"].status == "holds"
    assert gives_up["pool_freed_once_pages_returned"].status == "violated"
