"""The fairness toy shared by the explorer's and the native backend's liveness tests."""

from __future__ import annotations

from ppcheck.spec import Bool, Model, Record, action, leads_to, require


class _SpinState(Record):
    toggle = Bool()
    done = Bool()


def spin_model(fairness, gated):
    class Spin(Model):
        """A spins forever; B must run `finish` once (only while A's toggle is on if gated)."""

        name = "spin"
        State = _SpinState

        @action(who="A")
        def spin(self, s):
            s.toggle = ~s.toggle

        @action(who="B")
        def finish(self, s):
            require(~s.done & (s.toggle if gated else True))
            s.done = True

        @leads_to(fairness=fairness)
        def b_finishes(self, s):
            return ~s.done, s.done

    return Spin
