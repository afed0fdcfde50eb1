"""Hypothesis state machines over the compiled page_pool.c (hypothesis.stateful).

:func:`machine_for` builds a :class:`~hypothesis.stateful.RuleBasedStateMachine` whose rules
are the kernel's own: the NAPI poll of CPU 0 allocates (``page_pool_alloc_pages()``) and may
recycle directly; a softirq of CPU 1 and a process context of CPU 0 free pages they were
given (``page_pool_put_full_page()``, ``allow_direct=false``); a stack user takes and drops a
page reference (``get_page()``/``put_page()``); and any context inside a call runs on to its
next yield point when the kernel's execution rules let it (:meth:`Run.enabled`). Hypothesis
draws the programs and the interleaving together, and shrinks a failure to a short one.
After every rule the C-side checks run (:mod:`.checks`), and at every quiescent point the
mainline spec's invariants are checked on the abstracted state, along with the call-level
refinement (:mod:`.spec_map`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from .build import Build
from .checks import log_violations, state_violations
from .driver import PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, Kernel, Op
from .spec_map import SpecView
from .world import CtxSpec, Instr, Run, Scenario

NAPI, REMOTE, PROCESS, STACK = 0, 1, 2, 3

#: the machine's world: three pages, a ring of two, the NAPI on CPU 0
SHAPE = Scenario(
    "stateful", "Hypothesis-driven calls and interleavings",
    (CtxSpec("softirq@0", 0, True, (Instr(Op.ALLOC, "t"), Instr(Op.PUT, "t", direct=True)), consumer=True),
     CtxSpec("softirq@1", 1, True, (Instr(Op.PUT, "t"),)),
     CtxSpec("process@0", 0, False, (Instr(Op.PUT, "t"),)),
     CtxSpec("process@2", 2, False, (Instr(Op.GET_PAGE, "t"), Instr(Op.GET_PAGE, "u")))),
    npages=3, flags=PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV, pool_size=2, destroys=False)


def machine_for(b: Build) -> type[RuleBasedStateMachine]:
    """A state machine class over the library ``b`` (one build, reset for every example)."""
    k = Kernel(b)
    view = SpecView(SHAPE) if b.tree.kver >= 607 else None

    class PagePoolMachine(RuleBasedStateMachine):
        calls = 0  # kernel calls made, over every example (a test checks the machine did work)

        def __init__(self) -> None:
            super().__init__()
            self.sc = replace(SHAPE, contexts=tuple(replace(c, program=()) for c in SHAPE.contexts))
            self.run = Run(k, self.sc)
            self.run.reset()
            self.n = 0
            self.held: list[str] = []  # pages a user holds (allocated, not yet put)
            self.refs: list[str] = []  # pages the stack user holds a get_page() on
            self.seen = 0

        # -- calls ------------------------------------------------------------------------
        def _call(self, c: int, ins: Instr) -> None:
            ctxs = list(self.sc.contexts)
            ctxs[c] = replace(ctxs[c], program=(*ctxs[c].program, ins))
            self.sc = replace(self.sc, contexts=tuple(ctxs))
            self.run.sc = self.sc
            PagePoolMachine.calls += 1
            self._step(c)

        def _idle(self, c: int) -> bool:
            """Context ``c`` is between calls and the kernel lets it start one now."""
            return not k.busy(c) and self.run._cpu_allows(c)

        def _step(self, c: int) -> None:
            info = self.run.step(c)
            if info.finished and self.run.pc[c] > 0:
                ins = self.sc.contexts[c].program[self.run.pc[c] - 1]
                if ins.op == Op.ALLOC and ins.page and self.run.vars.get(ins.page, -1) >= 0:
                    self.held.append(ins.page)  # the NAPI hands the page to a user
            log = k.log()
            bad = log_violations(log[self.seen:]) + state_violations(self.run, self.run.last, info)
            self.seen = len(log)
            if view is not None and not any(k.busy(d) for d in range(len(self.sc.contexts))):
                bad += view.violations(self.run)
            assert not bad, f"{bad[0][0]}: {bad[0][1]}"

        @precondition(lambda self: self._idle(NAPI))
        @rule()
        def napi_alloc(self) -> None:
            """The poll refills its RX ring: page_pool_alloc_pages()."""
            self.n += 1
            self._call(NAPI, Instr(Op.ALLOC, f"v{self.n}"))

        @precondition(lambda self: any(v in self.run.vars for v in self.held))
        @rule(data=st.data(), who=st.sampled_from([NAPI, REMOTE, PROCESS]), direct=st.booleans())
        def put(self, data: Any, who: int, direct: bool) -> None:
            """A user frees its page: page_pool_put_full_page(); allow_direct only from the
            NAPI's own context (the API's contract)."""
            # a get_page() in flight is through this user's reference: it must finish first
            # (the spec's get_page() is one step by someone who already references the page)
            busy_ref = self.refs[-1] if self.refs and k.busy(STACK) else None
            ready = [v for v in self.held if v in self.run.vars and self.run.vars[v] >= 0 and v != busy_ref]
            if not ready or not self._idle(who):
                return
            v = data.draw(st.sampled_from(ready))
            self.held.remove(v)
            self._call(who, Instr(Op.PUT, v, direct=direct and who == NAPI))

        @precondition(lambda self: any(v in self.run.vars and v not in self.refs for v in self.held))
        @rule(data=st.data())
        def get_page(self, data: Any) -> None:
            """A stack user takes a page reference on a page a user holds."""
            ready = [v for v in self.held if v in self.run.vars and self.run.vars[v] >= 0
                     and v not in self.refs]
            if not ready or not self._idle(STACK):
                return
            v = data.draw(st.sampled_from(ready))
            self.refs.append(v)
            self._call(STACK, Instr(Op.GET_PAGE, v))

        @precondition(lambda self: bool(self.refs))
        @rule(data=st.data())
        def stack_put_page(self, data: Any) -> None:
            """The stack user drops its reference (put_page()): a page its pool user already
            freed with the extra reference (released from the pool) goes to the allocator."""
            if not self._idle(STACK):
                return
            v = data.draw(st.sampled_from(self.refs))
            self.refs.remove(v)
            self._call(STACK, Instr(Op.PUT_PAGE, v))

        @precondition(lambda self: any(k.busy(c) for c in range(len(self.sc.contexts))))
        @rule(c=st.sampled_from([NAPI, REMOTE, PROCESS, STACK]))
        def run_on(self, c: int) -> None:
            """Context ``c`` runs on to its next yield point (if it is inside a call and may)."""
            if k.busy(c) and c in self.run.enabled():
                self._step(c)

        def teardown(self) -> None:
            for _ in range(10_000):
                busy = [c for c in range(len(self.sc.contexts)) if k.busy(c) and c in self.run.enabled()]
                if not busy:
                    break
                self._step(busy[0])

    return PagePoolMachine
