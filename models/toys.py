"""Toy models with hand-counted answers: the engines are proven on these first.

* ``increment``: two threads do a non-atomic ``x++`` (read, then write).  13 distinct
  states, 8 under symmetry; the lost update is found in 4 steps
  (read, read, write, write).  After Stateright's ``examples/increment.rs``.
* ``increment_lock``: the same with a lock around the increment: the invariant holds.
* ``counters``: six counters in 0..9, ``inc`` enabled below 9, ``dec`` above 0:
  exactly 1,000,000 states and 10,800,000 transitions (the explorer benchmark).
* ``unreachable``: a witness that can never be reached: reported *vacuous*.
* ``slots``: interchangeable slots with references to them (symmetry with Refs).

Check with: ``ppcheck check increment``.
"""

from __future__ import annotations

import enum

from ppcheck.spec import (
    Array,
    Bool,
    Enum,
    Int,
    Model,
    Record,
    Ref,
    action,
    all_,
    always,
    count,
    implies,
    leads_to,
    require,
    sometimes,
    transition,
)


class PC(enum.IntEnum):
    READ = 0
    WRITE = 1
    DONE = 2


class Thread(Record):
    pc = Enum(PC)
    t = Int(0, "threads")  # the value read


class IncState(Record):
    x = Int(0, "threads")
    threads = Array(Thread, "threads", symmetric=True)


class Increment(Model):
    """Two threads each run ``x = x + 1`` as a read step and a write step."""

    name = "increment"
    State = IncState
    configs = {"default": {"threads": 2}, "three": {"threads": 3}}
    default_configs = ("default",)

    @action(t="threads", who="t")
    def read(self, s, t):
        """``tmp = x``: the load of a non-atomic increment."""
        th = s.threads[t]
        require(th.pc == PC.READ)
        th.t = s.x
        th.pc = PC.WRITE

    @action(t="threads", who="t")
    def write(self, s, t):
        """``x = tmp + 1``: the store."""
        th = s.threads[t]
        require(th.pc == PC.WRITE)
        s.x = th.t + 1
        th.pc = PC.DONE

    @always
    def no_lost_update(self, s):
        """When every thread is done, x counts every increment."""
        return implies(all_(th.pc == PC.DONE for th in s.threads), s.x == len(s.threads))

    @sometimes
    def all_done(self, s):
        """Some run finishes every thread."""
        return all_(th.pc == PC.DONE for th in s.threads)

    @transition
    def x_never_decreases(self, before, after):
        """x only grows."""
        return before.x <= after.x


class LockState(IncState):
    locked = Bool()


class IncrementLock(Increment):
    """The increment under a lock: read takes it, write drops it."""

    name = "increment_lock"
    State = LockState

    @action(t="threads", who="t")
    def read(self, s, t):
        th = s.threads[t]
        require((th.pc == PC.READ) & ~s.locked)
        s.locked = True
        th.t = s.x
        th.pc = PC.WRITE

    @action(t="threads", who="t")
    def write(self, s, t):
        th = s.threads[t]
        require(th.pc == PC.WRITE)
        s.x = th.t + 1
        th.pc = PC.DONE
        s.locked = False

    @leads_to
    def lock_released(self, s):
        """Whoever holds the lock eventually drops it."""
        return s.locked, ~s.locked


class Counter(Record):
    v = Int(0, 9)


class CountersState(Record):
    c = Array(Counter, "n")


class Counters(Model):
    """``n`` independent counters in 0..9: 10**n states, the explorer's benchmark."""

    name = "counters"
    State = CountersState
    configs = {"default": {"n": 3}, "bench": {"n": 6}}

    @action(i="n")
    def inc(self, s, i):
        require(s.c[i].v < 9)
        s.c[i].v = s.c[i].v + 1

    @action(i="n")
    def dec(self, s, i):
        require(s.c[i].v > 0)
        s.c[i].v = s.c[i].v - 1

    @always
    def in_range(self, s):
        return all_((c.v >= 0) & (c.v <= 9) for c in s.c)

    @sometimes
    def all_nine(self, s):
        return all_(c.v == 9 for c in s.c)


class UnreachableState(Record):
    x = Int(0, 3)


class Unreachable(Model):
    """x counts up to 2 and stops; the witness ``x == 3`` is never reached."""

    name = "unreachable"
    State = UnreachableState

    @action
    def step(self, s):
        require(s.x < 2)
        s.x = s.x + 1

    @sometimes
    def reaches_three(self, s):
        return s.x == 3


class Slot(Record):
    used = Bool()
    val = Int(0, 2)


class Holder(Record):
    slot = Ref("slots")


class SlotsState(Record):
    slots = Array(Slot, "n", symmetric=True)
    holders = Array(Holder, 2)


class Slots(Model):
    """Two holders each grab a free slot, write a value to it, and free it again.

    Slots are interchangeable (a scalarset): holders refer to them by Ref, which
    canonicalisation remaps when it sorts the slots.
    """

    name = "slots"
    State = SlotsState
    configs = {"default": {"n": 3}}

    @action(h=range(2), i="slots", who="h")
    def grab(self, s, h, i):
        hd, sl = s.holders[h], s.slots[i]
        require((hd.slot == Ref.NONE) & ~sl.used)
        sl.used = True
        hd.slot = i

    @action(h=range(2), v=range(1, 3), who="h")
    def write(self, s, h, v):
        hd = s.holders[h]
        require(hd.slot != Ref.NONE)
        s.slots[hd.slot].val = v

    @action(h=range(2), who="h")
    def release(self, s, h):
        hd = s.holders[h]
        require(hd.slot != Ref.NONE)
        sl = s.slots[hd.slot]
        sl.used = False
        sl.val = 0
        hd.slot = Ref.NONE

    @always
    def holders_exclusive(self, s):
        """No slot is held twice, and a held slot is marked used."""
        h0, h1 = s.holders[0], s.holders[1]
        return implies(h0.slot != Ref.NONE, (h0.slot != h1.slot) & s.slots[h0.slot].used)

    @always
    def used_count(self, s):
        return count(sl.used for sl in s.slots) == count(h.slot != Ref.NONE for h in s.holders)

    @sometimes
    def both_hold(self, s):
        return all_(h.slot != Ref.NONE for h in s.holders)


MODELS = [Increment, IncrementLock, Counters, Unreachable, Slots]
