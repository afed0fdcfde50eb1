"""Strict variants (issue 15.3): a misspelt removal is a build-time error, not a quiet no-op;
a read that may go through a NONE Ref has an explicit form, ``ref.get(field, default=...)``."""

from __future__ import annotations

import pytest

from ppcheck.checks.explorer import Explorer
from ppcheck.models.toys import Increment, Slots
from ppcheck.spec import Ref, SpecError, always, build, implies


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
