"""The model's seeded bugs happen in the implementation carrying the same bug.

tests/seeded_bugs.py breaks each mainline safety property with a one-action change to
the model.  Where an implementation mutation (or design switch) is the same change in
the code, the model's shortest counterexample must replay on the mutated
implementation, step for step and state for state: the spec-level bug and the
code-level bug are the same bug.
"""

from __future__ import annotations

import pytest
import shared
from seeded_bugs import BUGS

from ppcheck.impl.replay import replay_on_impl
from ppcheck.impl.switches import Switches

#: seeded-bug model -> the implementation carrying the same bug
SAME_BUG = {
    "NoRefcntCheck": Switches(mutation="no_refcnt_check"),
    "NoClearPpInfo": Switches(mutation="return_skips_clear_pp_info"),
    "NoProducerBarrier": Switches(mutation="release_skips_producer_lock"),
    "NoNapiUnlink": Switches(mutation="no_direct_recycle_disable"),
    "NapiLocalOnRt": Switches(napi_local="no_rt_check"),
}

#: seeded bugs whose model changes a step the implementation splits differently (so no
#: mutation is the same change), with the reason
NOT_THE_SAME = {
    "UnmapWithoutClaim": "the model's scrub then 'unmaps' never-mapped pages too",
    "DatarefIgnored": "the model releases the frag inside kfree_skb's step; the "
                      "no_clone_rule mutation goes through skb_page_unref steps",
}


def _bug(name: str):  # noqa: ANN202 - a seeded_bugs.Bug
    return next(b for b in BUGS if b.model.__name__ == name)


@pytest.mark.parametrize("name", [pytest.param(n, marks=shared.bug_group(_bug(n))) for n in sorted(SAME_BUG)])
def test_seeded_bug_counterexample_happens_in_the_mutated_implementation(name):
    bug = _bug(name)
    assert not bug.overrides  # the manifest's search (tests/shared.py) is on the named config
    _, ex = shared.bug_search(bug)
    system = ex.system
    trace = ex.traces[bug.prop]
    ok, text = replay_on_impl(trace, sw=SAME_BUG[name], system=system)
    assert ok, text
    # and the unmutated implementation cannot do it
    ok, text = replay_on_impl(trace, sw=Switches(), system=system)
    assert not ok


def test_every_seeded_bug_is_classified():
    names = {b.model.__name__ for b in BUGS}
    assert set(SAME_BUG) | set(NOT_THE_SAME) <= names
