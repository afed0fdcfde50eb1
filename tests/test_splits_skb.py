"""Issue 16: skb_data_unref() as the kernel's steps (mainline), and seed 001's pp_magic test
apart from the page refcount read.

As in tests/test_splits.py: per split, a variant that breaks the contract guarding it (a small
subclass, written as a reviewer would) is caught by a generic property with a short trace, and
the unbroken model keeps the property on the same configuration.  The lengths are pinned: each
is the shortest trace of that variant (breadth-first search).
"""

from __future__ import annotations

from skb_bugs import DatarefDecThenRead
from splits_driver import explore, violations

from ppcheck.models.mainline import Mainline
from ppcheck.models.pagepool import PC
from ppcheck.spec import Ref, action, ite, require, when

SKB_PROP = "skb_data_released_by_last_user"


def _actions(ex, prop: str) -> list[str]:
    return [st.action for st in ex.traces[prop].steps[1:]]


# -- skb_data_unref(): if (!skb->cloned) return true; atomic_read(&dataref) == 1 ?;
#    atomic_sub_return(1, &dataref) -------------------------------------------------------------

class DatarefReadThenWrite(Mainline):
    """skb_data_unref() with the decrement as a plain load and a later plain store
    (``v = shinfo->dataref; ...; shinfo->dataref = v - 1; return v - 1 == 0``) instead of one
    atomic_sub_return(): a concurrent skb_clone()'s atomic_inc() between the two is lost, and
    the data is released while the new clone still uses it."""

    name = "split_dataref_read_then_write"
    default = False

    @action(c="ctxs", j="shinfos", who="c")
    def skb_data_unref_read(self, s, c, j):
        ctx, sh = s.ctxs[c], s.shinfos[j]
        require((ctx.pc == PC.DATAREF_READ) & (ctx.sh == j) & self.can_run(s, c))
        one = sh.dataref == 1
        ctx.pc = ite(one, PC.READY, PC.DATAREF_SUB)
        with when(~one):
            ctx.nr = sh.dataref  # the load (ctx.nr: the context's scratch local)

    @action(c="ctxs", j="shinfos", who="c")
    def skb_data_unref_sub(self, s, c, j):
        ctx, sh = s.ctxs[c], s.shinfos[j]
        require((ctx.pc == PC.DATAREF_SUB) & (ctx.sh == j) & self.can_run(s, c))
        last = ctx.nr == 1
        ctx.pc = PC.READY
        with when(~last):
            sh.dataref = ctx.nr - 1  # the store of the stale value
            ctx.sh = Ref.NONE
            ctx.recycle = False
        ctx.nr = 0


def test_nonatomic_dataref_decrement_loses_a_clone():
    # frags_per_page=3 only widens ctx.nr (0..BIAS_MAX, the variant's load) to hold dataref 4
    r, ex = explore(DatarefReadThenWrite, "skb", [SKB_PROP], frags_per_page=3)
    assert violations(r) == {SKB_PROP: 10}
    acts = _actions(ex, SKB_PROP)
    # the clone lands between the load and the store of the freed skb's decrement
    i, j = acts.index("skb_data_unref_read"), acts.index("skb_data_unref_sub")
    assert "skb_clone" in acts[i:j]


def test_dec_then_read_releases_twice():
    r, ex = explore(DatarefDecThenRead, "skb", [SKB_PROP])
    assert violations(r) == {SKB_PROP: 9}
    acts = _actions(ex, SKB_PROP)
    assert acts.count("skb_data_unref_read") == 2 and acts[-1] == "skb_data_unref_sub"


def test_mainline_releases_by_the_last_user():
    r, _ = explore(Mainline, "skb", [SKB_PROP, "clones_freed_concurrently"])
    assert r.complete and not violations(r)
    assert r.coverage.get("skb_data_unref_sub", 0) > 0


# -- seed 001: page_pool_return_skb_page()'s pp_magic test, then page->pp and
#    __page_pool_put_page()'s page_ref_count() read --------------------------------------------

def test_seed001_release_between_magic_test_and_pp_read():
    """v5.14 as merged still lets a cloned pp ``from`` into a pp ``to`` (two pp-path holders of
    one page, the contract 0646dc31ca88 restores): with the magic test a step of its own, the
    other holder's page_pool_release_page() comes between it and the ``page->pp`` read, a NULL
    dereference even with ``page->pp`` kept across recycles."""
    from ppcheck.models import get_model

    r, ex = explore(get_model("pp001_merged_514"), "default", ["action_assertions"])
    assert violations(r) == {"action_assertions": 13}
    steps = ex.traces["action_assertions"].steps[1:]
    last = steps[-1]
    assert last.action == "page_pool_return_skb_page"
    k = last.args["k"]
    magic = max(i for i, st in enumerate(steps) if st.action == "skb_frag_unref" and st.args["k"] == k)
    between = steps[magic + 1:-1]
    assert any(st.action == "page_pool_put_full_page" and st.args["k"] != k for st in between)
    r, _ = explore(get_model("pp001_v63"), "default")
    assert r.complete and not violations(r)
