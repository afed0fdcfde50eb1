"""Seeded bugs of the seed designs: each breaks one property a seed model gained (issue 10).

Like ``seeded_bugs.py`` for mainline: a one-function change, the property it must violate, the
configuration, and the last action of the shortest counterexample the explorer must report
(its length is recorded in ``manifest.json``, section ``bugs``).  ``tests/test_seeds.py``
checks them; the correct design keeps the property in the same configuration (its manifest
entry says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from ppcheck.models.pagepool import Loc
from ppcheck.models.seed000_refcnt import CPC, PP000Merged, PP000Refcnt0, Put
from ppcheck.models.seed002_netmem import PP002IovRefcount
from ppcheck.models.seed003_frag import FPC, Frag, PP003Mainline, PP003UnifiedV2, State
from ppcheck.models.seed004_napi_local import PP004NoCpuidReset, PP004NoRtCheck
from ppcheck.spec import Array, Int, Model, action, ite, require, when
from ppcheck.spec.expr import const


class _FragSeen(Frag):
    seen = Int(0, lambda c: int(c.page) + 1)  #: the count this user read in step 1


class _StateSeen(State):
    frags = Array(_FragSeen, "frags")


class NonAtomicSub(PP003Mainline):
    """page_pool_unref_netmem() written as a plain read-modify-write: step 1 reads the count,
    step 2 stores ``read - 1`` (``atomic_long_set(count, atomic_long_read(count) - 1)``).  Two
    users of one page both read 2 and both store 1: neither sees 0, the page keeps a count of 1
    with no user and never returns to the pool (a lost update)."""

    name = "bug_pp003_nonatomic_sub"
    default = False
    State = _StateSeen

    @action(f="frags", who="f")
    def page_pool_put_read(self, s, f):
        fr = s.frags[f]
        require((fr.pc == FPC.HELD) & (fr.page != -1))
        pg = s.pages[fr.page]
        eq = pg.count == 1
        fr.seen = pg.count
        with when(eq):
            self.read_shortcut(s, pg, 1)
            self.release_frag_last(s, fr)
        with when(~eq):
            fr.pc = FPC.SUB

    @action(f="frags", who="f")
    def page_pool_put_sub(self, s, f):
        fr = s.frags[f]
        require((fr.pc == FPC.SUB) & (fr.page != -1))
        pg = s.pages[fr.page]
        ret = fr.seen - 1
        self.write_count(s, pg, ite(ret < 0, 0, ret))
        self.sub_result(s, pg, ret)
        fr.seen = 0
        with when(ret == 0):
            self.release_frag_last(s, fr)
        with when(ret != 0):
            self.release_frag(fr)


class DecThenRead(PP003Mainline):
    """The free path decrements and then tests in two atomics (``atomic_long_dec()``, then
    ``atomic_long_read() == 0``) instead of one ``atomic_long_sub_return()``: two users of one
    page both decrement, both read 0 and both return the page to the pool."""

    name = "bug_pp003_dec_then_read"
    default = False
    State = _StateSeen

    @action(f="frags", who="f")
    def page_pool_put_sub(self, s, f):
        fr = s.frags[f]
        require((fr.pc == FPC.SUB) & (fr.page != -1) & (fr.seen == 0))
        pg = s.pages[fr.page]
        pg.count = ite(pg.count > 0, pg.count - 1, 0)
        fr.seen = 1

    @action(f="frags", who="f")
    def page_pool_put_test(self, s, f):
        fr = s.frags[f]
        require((fr.pc == FPC.SUB) & (fr.page != -1) & (fr.seen == 1))
        pg = s.pages[fr.page]
        zero = pg.count == 0
        fr.seen = 0
        with when(zero):
            self.release_frag_last(s, fr)
        with when(~zero):
            self.release_frag(fr)


class NoResetToOne(PP003UnifiedV2):
    """The v2 patch without "Reset frag count back to 1" after a sub that reached 0: a page
    whose last user came through the subtraction enters the pool with count 0, and the next
    whole page handed out from it goes negative on its put."""

    name = "bug_pp003_no_reset_to_one"
    default = False

    def sub_result(self, s, pg, ret):
        pass


class MergedPutPageHook(PP000Merged):
    """The merged design with the RFC's hook kept in ``put_page()``: the get_page() holder's
    final put goes to ``page_pool_put_page()``, so a hardirq reaches the ring's producer lock
    (spin_lock_bh() outside softirq)."""

    name = "bug_pp000_put_page_hook"
    default = False

    @action(p="pages", c="ctxs", who="c")
    def put_page(self, s, p, c):
        pg = s.pages[p]
        require((pg.extra == Put.HELD) & self.may_put(s, c, "extra"))
        pg.extra = Put.NONE
        last = pg.refcnt == 1
        with when(last):
            pg.loc = Loc.USERS
            self.recycle_into_ring(s, c, p)
        with when(~last):
            self.plain_put(s, pg)


class MergedProducerNoBh(PP000Merged):
    """The ring's producer lock taken with plain spin_lock() from every context (no
    ptr_ring_produce_bh() outside softirq): a process context holding it with BH enabled is
    interrupted by the NAPI softirq, whose XDP_DROP falls back to the ring."""

    name = "bug_pp000_producer_no_bh"
    default = False

    def recycle_into_ring(self, s, c, p):
        s.pool.uaf = s.pool.uaf | s.pool.freed
        self.spin_lock(s, c, "producer", const(False))
        ctx = s.ctxs[c]
        ctx.pc = CPC.RING_LOCKED
        ctx.page = p


class MergedNoGuard(PP000Merged):
    """The merged design without the in_serving_softirq() test in __page_pool_get_cached():
    a process-context allocation reads alloc.cache while the NAPI softirq can interrupt it."""

    name = "bug_pp000_no_guard"
    default = False
    guard = False
    alloc_cache_pop = PP000Refcnt0.alloc_cache_pop


@dataclass(frozen=True)
class SeedBug:
    model: type[Model]
    prop: str  #: the property the bug must violate
    config: str
    last: str  #: the action of its last step


#: each property a seed model gained in issue 10, broken by one seeded bug
SEED_BUGS: list[SeedBug] = [
    SeedBug(NonAtomicSub, "pp_frag_count_accounting", "mixed", "page_pool_put_sub"),
    SeedBug(NonAtomicSub, "no_leaked_page", "halves", "page_pool_put_sub"),
    SeedBug(DecThenRead, "no_double_recycle", "halves", "page_pool_put_test"),
    SeedBug(NoResetToOne, "pooled_pages_count_one", "mixed", "page_pool_put_sub"),
    SeedBug(MergedPutPageHook, "no_bh_lock_in_hardirq", "default", "put_page"),
    SeedBug(MergedProducerNoBh, "no_self_deadlock", "default", "page_pool_put_page_act"),
    SeedBug(MergedNoGuard, "alloc_cache_single_owner", "process_alloc", "alloc_cache_pop"),
    SeedBug(PP002IovRefcount, "net_iov_no_page_ops", "devmem", "page_pool_put_page"),
    SeedBug(PP004NoRtCheck, "locality_holds_until_push", "rt", "page_pool_put_page"),
    SeedBug(PP004NoCpuidReset, "destroyed_pool_never_local", "percpu_destroy",
            "page_pool_napi_local"),
]

#: what ``ppcheck manifest --update`` records (section ``bugs``)
MANIFEST_BUGS = SEED_BUGS
