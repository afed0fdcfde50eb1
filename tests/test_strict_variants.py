"""Strict variants (issue 15.3): a misspelt removal is a build-time error, not a quiet no-op;
a bare read through an index that may be a NONE Ref where its value is used is a build-time
error, and such a read has an explicit form, ``ref.get(field, default=...)``."""

from __future__ import annotations

import pytest

from ppcheck.checks.explorer import Explorer
from ppcheck.models.toys import Increment, Slots
from ppcheck.spec import Ref, SpecError, action, always, build, implies, ite, leads_to, require, when


def test_removing_an_inherited_property_works():
    class NoLostUpdate(Increment):
        name = "inc_without_property"
        no_lost_update = None

    assert "no_lost_update" not in {p.name for p in build(NoLostUpdate).properties}


def test_removing_a_name_nothing_defines_is_an_error():
    class Misspelt(Increment):
        name = "inc_misspelt"
        no_lost_updat = None  # the property is no_lost_update

    with pytest.raises(SpecError, match=r"Misspelt.no_lost_updat = None removes nothing"):
        build(Misspelt)


def test_resetting_an_inherited_plain_attribute_is_not_a_removal():
    class NoHooks(Increment):
        name = "inc_no_hooks"
        observables = None  # a hook Model declares

    build(NoHooks)


def test_get_reads_through_none_with_an_explicit_default():
    class Explicit(Slots):
        name = "slots_explicit"

        @always
        def holders_exclusive(self, s):
            """The same property, written with the explicit read."""
            h0, h1 = s.holders[0], s.holders[1]
            return implies(h0.slot != Ref.NONE,
                           (h0.slot != h1.slot) & s.slots[h0.slot].get("used", default=False))

        @always
        def none_reads_default(self, s):
            """Through NONE the default comes back, never the last slot's field."""
            h0 = s.holders[0]
            return implies(h0.slot == Ref.NONE, s.slots[h0.slot].get("val", default=7) == 7)

    run = Explorer(build(Explicit)).run()
    verdicts = {r.name: r.status for r in run.results}
    assert verdicts["holders_exclusive"] == verdicts["none_reads_default"] == "holds"

    class Wrong(Explicit):
        name = "slots_wrong_default"

        @always
        def none_reads_default(self, s):
            """The default is what a NONE read gives: claiming the last slot's value fails."""
            h0 = s.holders[0]
            return implies(h0.slot == Ref.NONE, s.slots[h0.slot].get("used", default=True)
                           == s.slots[len(s.slots) - 1].used)

    run = Explorer(build(Wrong)).run()
    assert {r.name: r.status for r in run.results}["none_reads_default"] == "violated"


NONE_READ = r"slots\[\.\.\.\]\.(used|val) is read through the index holders\[\d\]\.slot, which may be -1"


def test_a_bare_read_through_none_is_a_build_time_error():
    """Without its guard, Slots.release would read (and clear) the last slot through NONE."""

    class Unguarded(Slots):
        name = "slots_unguarded"

        @action(h=range(2), who="h")
        def peek(self, s, h):
            """Copies the held slot's value to slot 0: with no slot held, the last slot's."""
            s.slots[0].val = s.slots[s.holders[h].slot].val

    with pytest.raises(SpecError, match=r"action peek\(h=0\): " + NONE_READ):
        build(Unguarded)


def test_an_unguarded_read_in_a_property_is_an_error():
    class Unguarded(Slots):
        name = "slots_unguarded_property"

        @always
        def holders_exclusive(self, s):
            """The implication dropped: the read goes through NONE when h0 holds nothing."""
            return s.slots[s.holders[0].slot].used | (s.holders[0].slot == Ref.NONE)

    with pytest.raises(SpecError, match="property holders_exclusive: " + NONE_READ):
        build(Unguarded)


def test_an_unguarded_read_in_a_leads_to_pair_is_an_error():
    class Unguarded(Slots):
        name = "slots_unguarded_leads_to"

        @leads_to
        def held_is_released(self, s):
            return s.slots[s.holders[0].slot].used, s.holders[0].slot == Ref.NONE

    with pytest.raises(SpecError, match="property held_is_released: " + NONE_READ):
        build(Unguarded)


def test_guarded_reads_build_wherever_the_guard_is():
    """A read is guarded where its value matters: by a require (before or after it: an update
    matters only when the guard holds), an earlier conjunct, an implication, an ite, a when."""

    class Guarded(Slots):
        name = "slots_guarded"

        @action(h=range(2), who="h")
        def copy_after(self, s, h):
            v = s.slots[s.holders[h].slot].val  # read first, guarded by the require below
            require(s.holders[h].slot != Ref.NONE)
            s.slots[0].val = v

        @action(h=range(2), who="h")
        def conjunct(self, s, h):
            require((s.holders[h].slot >= 0) & (s.slots[s.holders[h].slot].val == 1))
            s.slots[0].val = 2

        @action(h=range(2), who="h")
        def branch(self, s, h):
            hd = s.holders[h]
            s.slots[0].val = ite(hd.slot == Ref.NONE, 0, s.slots[hd.slot].val)
            with when(hd.slot != Ref.NONE):
                s.slots[1].val = s.slots[hd.slot].val

        @always
        def either(self, s):
            h0 = s.holders[0].slot
            return (h0 == Ref.NONE) | s.slots[h0].used

    build(Guarded)


def test_a_read_guarded_by_the_wrong_index_is_an_error():
    class Mixed(Slots):
        name = "slots_wrong_guard"

        @action(h=range(2), who="h")
        def other(self, s, h):
            require(s.holders[0].slot != Ref.NONE)
            s.slots[0].val = s.slots[s.holders[1].slot].val

    with pytest.raises(SpecError, match=r"action other\(h=0\): .* index holders\[1\]\.slot"):
        build(Mixed)


def test_the_explicit_read_builds_without_a_guard():
    class Explicit(Slots):
        name = "slots_explicit_action"

        @action(h=range(2), who="h")
        def peek(self, s, h):
            s.slots[0].val = s.slots[s.holders[h].slot].get("val", default=0)

    build(Explicit)



def test_a_hook_that_hands_out_reads_has_each_checked():
    """observables/ratios are traced like properties: a list of values is checked element by
    element (pp003_before hands out lists), an unguarded read among them is an error."""

    def observe(guarded):
        def observables(self, s):
            h0 = s.holders[0].slot
            val = s.slots[h0].val
            return {"held": [h0 != Ref.NONE, ite(h0 != Ref.NONE, val, 0) if guarded else val]}
        return observables

    ok = type("ObservedOk", (Slots,), {"name": "slots_observed_ok", "observables": observe(True)})
    assert set(build(ok).trace_hook("observables")) == {"held"}
    bad = type("ObservedBad", (Slots,), {"name": "slots_observed_bad", "observables": observe(False)})
    with pytest.raises(SpecError, match=NONE_READ):
        build(bad).trace_hook("observables")
