"""Hypothesis state machines driving the implementation through the driver/stack API.

:class:`PagePoolMachine` is the conformance machine (STYLE.md, recommendation 8).  Page
handles live in bundles: ``rx`` holds the pages posted to the driver's RX ring,
``pages`` the pp references the stack holds (one entry per reference), ``skbs`` the
live skbs.  Rules that hand a reference back draw it with ``consumes()``, so every
reference is put exactly once: the API contract of ``page_pool_put_page()``.  A rule
whose handle cannot be used right now (the poll is not running, the context is busy)
returns it to its bundle unchanged.  Preconditions come from the spec: a rule fires
only if the spec's guard of its first step holds in the abstract state.  Every step is
checked by :class:`~ppcheck.impl.conformance.Conformance` (a transition of the claimed
spec action, the spec's invariants on the abstraction); calls run interleaved, one
step per ``step`` rule.

:class:`MisuseMachine` breaks the contract on purpose (a reference put twice, a put of
a page the caller never held, direct recycling from the wrong context) and runs in
lenient mode: steps the spec does not allow are recorded, and the spec's invariants
on the abstraction are what catches the consequences.

:func:`machine_for` builds a machine class for a configuration and switches (one
definition, several drivers: pytest, the mutation report).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from ppcheck.models.pagepool import Role
from ppcheck.spec.model import System, build

from .conformance import Conformance
from .explore import ALLOC
from .switches import MAINLINE, Switches
from .world import Op

_SYSTEMS: dict[str, System] = {}


def system_for(config: str) -> System:
    if config not in _SYSTEMS:
        from ppcheck.models import get_model

        _SYSTEMS[config] = build(get_model("mainline"), config)
    return _SYSTEMS[config]


class PagePoolMachine(RuleBasedStateMachine):
    """The driver and the stack using the page_pool as its API contract says."""

    config = "base"
    sw: Switches = MAINLINE
    lenient = False

    rx = Bundle("rx")
    pages = Bundle("pages")
    skbs = Bundle("skbs")

    @initialize()
    def boot(self) -> None:
        self.h = Conformance(system_for(self.config), self.sw, lenient=self.lenient)
        self.w = self.h.world
        self.napi = [c for c, sp in enumerate(self.w.specs) if sp.role == Role.NAPI]
        self.users = [c for c, sp in enumerate(self.w.specs) if sp.role in (Role.NAPI, Role.USER)]
        self.nsteps = 0
        self.known_rx: dict[int, int] = {}
        self.known_pages: dict[int, int] = {}
        self.known_skbs: dict[int, int] = {}

    # -- helpers ---------------------------------------------------------------------------
    def idle_napi_in_poll(self) -> int | None:
        for c in self.napi:
            if not self.w.busy(c) and self.w.in_poll[c] and self.w.can_run(c):
                return c
        return None

    def start(self, c: int, action: str, name: str, **args: Any) -> None:
        self.h.start(Op(c, name, action, args))

    def entry_ok(self, action: str, **args: Any) -> bool:
        return self.lenient or self.h.spec_enabled(action, **args)

    # -- the NAPI poll ---------------------------------------------------------------------
    # preconditions are the spec's guards of the first step, evaluated on the abstraction
    def can_start(self, action: str, **args: Any) -> list[int]:
        return [c for c in self.napi if not self.w.busy(c) and self.entry_ok(action, c=c, **args)]

    @precondition(lambda self: bool(self.can_start("napi_poll_begin")))
    @rule(i=st.integers(0, 3))
    def napi_poll_begin(self, i: int) -> None:
        cs = self.can_start("napi_poll_begin")
        self.start(cs[i % len(cs)], "napi_poll_begin", "napi_poll_begin")

    @precondition(lambda self: bool(self.can_start("napi_poll_end")))
    @rule(i=st.integers(0, 3), complete=st.booleans())
    def napi_poll_end(self, i: int, complete: bool) -> None:
        cs = self.can_start("napi_poll_end", complete=complete)
        if cs:
            c = cs[i % len(cs)]
            self.start(c, "napi_poll_end", f"napi_poll_end({complete})", complete=complete)

    def alloc_ctx(self) -> int | None:
        """The NAPI context that may allocate now (with a page to get: failures come from
        injection, not from draining the buddy allocator over and over)."""
        c = self.idle_napi_in_poll()
        if c is None or self.w.pool.user_cnt == 0 or self.w.swapped:
            return None
        pool = self.w.pool
        if not (pool.alloc_count or not pool.ring.empty() or any(p.free for p in self.w.k.memmap)):
            return None
        return c if any(self.entry_ok(a, c=c) for a in ALLOC) else None

    @precondition(lambda self: self.alloc_ctx() is not None)
    @rule(f=st.integers(0, 7))
    def page_pool_alloc_pages(self, f: int) -> None:
        """The driver refills its RX ring (``f == 0``: ALLOW_ERROR_INJECTION fails it)."""
        c = self.alloc_ctx()
        self.w.k.fail_alloc = f == 0
        self.start(c, "page_pool_alloc_pages", "alloc")
        self.w.k.fail_alloc = False

    def frag_ctx(self) -> int | None:
        if not self.w.params.get("frag"):
            return None
        if self.w.pool.frag_page is None:
            return self.alloc_ctx()
        c = self.idle_napi_in_poll()
        return c if c is not None and self.w.pool.user_cnt and not self.w.swapped else None

    @precondition(lambda self: self.frag_ctx() is not None)
    @rule()
    def page_pool_alloc_frag(self) -> None:
        self.start(self.frag_ctx(), "page_pool_alloc_frag", "alloc_frag")

    # -- handles: the bundles mirror what the world hands out ------------------------------
    def _collect(self, known: dict[int, int], actual: dict[int, int]) -> list[int]:
        out = []
        for p, n in sorted(actual.items()):
            extra = n - known.get(p, 0)
            if extra > 0:
                out += [p] * extra
                known[p] = n
        return out

    def _forget(self, known: dict[int, int], p: int) -> None:
        known[p] = known.get(p, 0) - 1

    @rule(target=rx)
    def collect_rx(self) -> Any:
        """Pages the driver posted to its RX ring become ``rx`` handles."""
        actual: dict[int, int] = {}
        for p in self.w.rx:
            actual[p] = actual.get(p, 0) + 1
        return multiple(*self._collect(self.known_rx, actual))

    @rule(target=pages)
    def collect_pages(self) -> Any:
        """pp references handed to the stack (rx_pass, frags) become ``pages`` handles."""
        return multiple(*self._collect(self.known_pages, dict(self.w.pp_holders)))

    @rule(target=skbs)
    def collect_skbs(self) -> Any:
        live = {k: 1 for k, s in self.w.skbs.items() if not s.freed}
        return multiple(*self._collect(self.known_skbs, live))

    @rule(p=consumes(rx))
    def napi_xdp_drop(self, p: int) -> None:
        self._forget(self.known_rx, p)
        c = self.idle_napi_in_poll()
        if c is not None and self.entry_ok("napi_xdp_drop", c=c, p=p):
            self.start(c, "napi_xdp_drop", f"xdp_drop({p})", p=p)

    @rule(p=consumes(rx))
    def napi_rx_pass(self, p: int) -> None:
        self._forget(self.known_rx, p)
        c = self.idle_napi_in_poll()
        if c is not None and self.entry_ok("napi_rx_pass", c=c, p=p):
            self.start(c, "napi_rx_pass", f"rx_pass({p})", p=p)

    @rule(p=consumes(rx))
    def napi_build_skb(self, p: int) -> None:
        self._forget(self.known_rx, p)
        c = self.idle_napi_in_poll()
        free_k = [k for k in range(len(self.w.shinfos)) if k not in self.w.skbs
                  or self.w.skbs[k].freed]
        free_j = [j for j in range(len(self.w.shinfos)) if self.w.shinfo_dataref(j) == 0
                  and not self.w.shinfos[j].frags]
        if c is not None and free_k and free_j and \
                self.entry_ok("napi_build_skb", c=c, p=p, k=free_k[0], j=free_j[0]):
            self.start(c, "napi_build_skb", f"build_skb({p})", p=p, k=free_k[0], j=free_j[0])

    # -- the stack -------------------------------------------------------------------------
    @rule(p=consumes(pages), i=st.integers(0, 3))
    def page_pool_put_full_page(self, p: int, i: int) -> None:
        self._forget(self.known_pages, p)
        c = self.users[i % len(self.users)]
        if not self.w.busy(c) and self.entry_ok("page_pool_put_full_page", c=c, p=p):
            self.start(c, "page_pool_put_full_page", f"put({p})", p=p)

    @rule(k=consumes(skbs), i=st.integers(0, 3))
    def kfree_skb(self, k: int, i: int) -> None:
        self._forget(self.known_skbs, k)
        c = self.users[i % len(self.users)]
        if not self.w.busy(c) and self.entry_ok("kfree_skb", c=c, k=k):
            self.start(c, "kfree_skb", f"kfree_skb({k})", k=k)

    @rule(k=skbs)
    def skb_clone(self, k: int) -> None:
        free = [m for m in range(len(self.w.shinfos)) if m not in self.w.skbs or self.w.skbs[m].freed]
        if not free or k not in self.w.skbs or self.w.skbs[k].freed:
            return
        m = free[0]
        if self.entry_ok("skb_clone", k=k, m=m, j=self.w.skbs[k].shinfo.id):
            self.h.event(self.w.skb_clone, k, m)

    @rule(k=skbs, n=st.integers(0, 3))
    def pskb_expand_head(self, k: int, n: int) -> None:
        if not self.w.shinfos or k not in self.w.skbs or self.w.skbs[k].freed:
            return
        n %= len(self.w.shinfos)
        if self.entry_ok("pskb_expand_head", k=k, j=self.w.skbs[k].shinfo.id, n=n):
            self.h.event(self.w.pskb_expand_head, k, n)

    @rule(k=skbs, m=skbs)
    def skb_try_coalesce(self, k: int, m: int) -> None:
        live = [x for x in (k, m) if x in self.w.skbs and not self.w.skbs[x].freed]
        if k == m or len(live) < 2:
            return
        j, n = self.w.skbs[k].shinfo.id, self.w.skbs[m].shinfo.id
        if self.entry_ok("skb_try_coalesce", k=k, m=m, j=j, n=n):
            self.h.event(self.w.skb_try_coalesce, k, m)

    @rule(p=pages)
    def get_page(self, p: int) -> None:
        if self.entry_ok("get_page", p=p):
            self.h.event(self.w.get_page, p)

    @precondition(lambda self: bool(self.w.page_holders))
    @rule(i=st.integers(0, 7))
    def stack_put_page(self, i: int) -> None:
        held = sorted(self.w.page_holders)
        p = held[i % len(held)]
        if self.entry_ok("stack_put_page", p=p):
            self.h.event(self.w.stack_put_page, p)

    @rule(cpu=st.integers(0, 1))
    def napi_schedule(self, cpu: int) -> None:
        if self.entry_ok("napi_schedule", cpu=cpu):
            self.h.event(self.w.napi_schedule, cpu)

    # -- interleaving: one step of a running call --------------------------------------------
    @precondition(lambda self: bool(self.w.ready_contexts()))
    @rule(i=st.integers(0, 7), n=st.integers(1, 6))
    def step(self, i: int, n: int) -> None:
        """Run up to ``n`` steps of the running calls, round robin from ready[i]."""
        for j in range(n):
            ready = self.w.ready_contexts()
            if not ready:
                return
            c = ready[(i + j) % len(ready)]
            self.nsteps += 1
            if self.w.role(c) == Role.CONTROL and self.w.pending(c).action == "napi_disable" \
                    and (self.nsteps < 40 or i % 4):
                continue  # the driver is removed late in a run, so pages are in flight by then
            self.h.step(c)

    @invariant()
    def spec_invariants_hold_on_abstraction(self) -> None:
        if hasattr(self, "h"):
            bad = self.h.checker.invariants_violated(self.h.state)
            assert not bad, f"spec invariants {bad} violated on the abstract state"


class MisuseMachine(PagePoolMachine):
    """A driver that breaks the API contract; the spec's invariants catch the damage."""

    lenient = True

    @initialize()
    def boot_misuse(self) -> None:
        self.misuses: list[tuple[str, bool]] = []

    @rule(p=PagePoolMachine.pages, i=st.integers(0, 3))
    def put_twice(self, p: int, i: int) -> None:
        """page_pool_put_full_page() on a reference without consuming it: the same
        reference will be put again."""
        c = self.users[i % len(self.users)]
        if not self.w.busy(c):
            self.misuse("page_pool_put_full_page", c, f"put({p})", p=p)

    @rule(p=st.integers(0, 3), i=st.integers(0, 3))
    def put_unowned(self, p: int, i: int) -> None:
        """page_pool_put_full_page() on any page, held or not."""
        c = self.users[i % len(self.users)]
        p %= len(self.w.k.memmap)
        if not self.w.busy(c):
            self.misuse("page_pool_put_full_page", c, f"put({p})", p=p)

    @rule(p=PagePoolMachine.rx, i=st.integers(0, 3))
    def xdp_drop_from_remote_cpu(self, p: int, i: int) -> None:
        """page_pool_recycle_direct() outside the NAPI poll: direct recycling from a
        context that is not the pool's consumer."""
        c = self.users[i % len(self.users)]
        if not self.w.busy(c) and p in self.w.rx:
            self.misuse("napi_xdp_drop", c, f"xdp_drop({p})", p=p)

    def misuse(self, action: str, c: int, name: str, **args: Any) -> None:
        """Start a call the contract forbids; the spec must forbid it too."""
        allowed = self.h.spec_enabled(action, c=c, **args)
        self.misuses.append((name, allowed))
        self.start(c, action, name, **args)


def machine_for(config: str, sw: Switches = MAINLINE, misuse: bool = False) -> type:
    """A machine class for ``config`` (a mainline configuration) and ``sw``."""
    base = MisuseMachine if misuse else PagePoolMachine
    return type(f"{base.__name__}_{config}", (base,), {"config": config, "sw": sw})
