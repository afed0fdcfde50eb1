"""Seeded bugs of the seed designs: each breaks one property a seed model gained (issue 10).

Like ``seeded_bugs.py`` for mainline: a one-function change, the property it must violate, the
configuration, and the shortest counterexample (length and last action) the explorer must
report.  ``tests/test_seeds.py`` runs them; the correct design keeps the property in the same
configuration (its manifest entry says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from ppcheck.models.seed003_frag import FPC, Frag, PP003Mainline, PP003UnifiedV2, State
from ppcheck.spec import Array, Int, Model, action, ite, require, when


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


@dataclass(frozen=True)
class SeedBug:
    model: type[Model]
    prop: str  #: the property the bug must violate
    config: str
    length: int  #: steps of the shortest counterexample
    last: str  #: the action of its last step


#: each property a seed model gained in issue 10, broken by one seeded bug
SEED_BUGS: list[SeedBug] = [
    SeedBug(NonAtomicSub, "pp_frag_count_accounting", "mixed", 6, "page_pool_put_sub"),
    SeedBug(NonAtomicSub, "no_leaked_page", "halves", 8, "page_pool_put_sub"),
    SeedBug(DecThenRead, "no_double_recycle", "halves", 10, "page_pool_put_test"),
    SeedBug(NoResetToOne, "pooled_pages_count_one", "mixed", 5, "page_pool_put_sub"),
]
