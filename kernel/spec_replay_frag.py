"""Seed 003's ``pp003_before`` model (``PP_FLAG_PAGE_FRAG``, ``pp_frag_count``) replayed step for
step on a tree that has that code (linux 6.1: v5.15 to v6.6).

The mainline replay (:mod:`.spec_replay`) maps mainline's actions and state; seed 003's model has
its own (allocation slots ``frags[f]`` owned by sockets, a put per slot, the frag state of the
pool, pages that are interchangeable), so it has its own table, written once like mainline's:

* :data:`FRAG_STEPS`: each action is the entry of a kernel call or a step inside one, with the
  yield points where its C code starts (6.1 function names, matched against the inline chain):
  ``page_pool_alloc_frag_new``/``page_pool_alloc_frag``/``page_pool_drain_frag`` enter
  ``page_pool_alloc_frag()``, ``page_pool_dev_alloc_pages`` enters ``page_pool_alloc_pages()``,
  ``page_pool_put_read`` enters ``page_pool_put_full_page(allow_direct=false)`` (its
  ``atomic_long_read`` in ``page_pool_defrag_page()``); ``page_pool_drain_frag_sub`` and
  ``page_pool_put_sub`` start at the ``atomic_long_sub_return`` of ``page_pool_defrag_page()``
  inside page_pool_drain_frag() and page_pool_is_last_frag(); a ``page_pool_alloc_frag_new``
  after a drain that left the page to its users is the same call going on at its
  ``page_pool_alloc_pages()``.
* the NAPI is a softirq of CPU 0; allocation slot ``frags[f]`` frees from a softirq of CPU
  ``f + 1`` (the model's puts race each other and the drain);
* the abstraction (:func:`abstract`): a page in ``alloc.cache`` or the ptr_ring is the model's
  ``RING`` (the model keeps no alloc cache: its frees are not direct), ``pool->frag_page`` is
  ``FRAG``, a free page ``BUDDY``, any other ``USERS``; ``pp_frag_count`` near ``BIAS_MAX`` is
  scaled to the model's bias (``page + 1``), a negative count is the model's 0 with its
  ``negative`` ghost; ``frag_offset`` in units of ``PAGE_SIZE / page``.  Pages are symmetric in
  the model: a spec page is mapped to the pfn the kernel handed out for it (``perm``), the
  buddy allocator hands out the spec's page where it takes one from the buddy.

At every point where both sides are quiescent the abstracted C state must equal the spec
state; at the end every call runs to its return and the model's invariants are evaluated on the
final C state abstracted (the allocations, who holds what, from the trace).
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from ppcheck.checks.traces import Trace

from .build import build
from .checks import log_violations, state_violations
from .driver import PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, PP_FLAG_PAGE_FRAG, Kernel, KState, Op
from .symbols import Symbols
from .tree import Tree
from .world import CtxSpec, Instr, Run, Scenario

PAGE_SIZE = 4096


def bias_max(tree: Tree) -> int:
    """The tree's ``BIAS_MAX``: ``LONG_MAX`` before v6.6 (``LONG_MAX >> 1`` after 0f9b0ab)."""
    import re

    text = (tree.root / "net/core/page_pool.c").read_text()
    m = re.search(r"#define\s+BIAS_MAX\s+(.*)", text)
    return (2**63 - 1) >> 1 if m and ">>" in m.group(1) else 2**63 - 1
Start = tuple[str, str | None]


@dataclass(frozen=True)
class FragStep:
    """``op``: the call the action enters (None: inside the current call); ``starts``: where
    its C code starts when it is a later step of a call."""

    op: Op | None
    starts: tuple[Start, ...] = ()


#: pp003_before's actions -> the 6.1 kernel (page_pool_alloc_frag(), page_pool_put_full_page())
FRAG_STEPS: dict[str, FragStep] = {
    "page_pool_alloc_frag_new": FragStep(Op.ALLOC_FRAG, (("page_pool_alloc_pages", None),)),
    "page_pool_alloc_frag": FragStep(Op.ALLOC_FRAG),
    "page_pool_drain_frag": FragStep(Op.ALLOC_FRAG),
    "page_pool_drain_frag_sub": FragStep(None, (("page_pool_drain_frag", "atomic_long_sub_return"),)),
    "page_pool_dev_alloc_pages": FragStep(Op.ALLOC),
    "page_pool_put_read": FragStep(Op.PUT),
    "page_pool_put_sub": FragStep(None, (("page_pool_is_last_frag", "atomic_long_sub_return"),)),
}

#: models this replay describes, and the kernel versions that have their code
FRAG_MODELS = {"pp003_before": (515, 606)}

#: the kernel-side records named after the model's properties
_PROP_OF = {"pp_ref_never_negative": "pp_frag_count_never_negative"}


@dataclass
class FragCall:
    ctx: int
    instr: Instr
    steps: list[int]
    returns: bool = False


def frag_applies(trace: Trace, tree: Tree) -> str:
    """'' when the trace is one this replay runs on ``tree``; else why not."""
    rng = FRAG_MODELS.get(trace.model)
    if rng is None:
        return f"spec_replay_frag maps {', '.join(FRAG_MODELS)} only, not {trace.model}"
    lo, hi = rng
    if not lo <= tree.kver <= hi:
        return (f"{trace.model} describes linux {lo // 100}.{lo % 100} to {hi // 100}.{hi % 100} "
                f"(PP_FLAG_PAGE_FRAG, pp_frag_count); linux {tree.name} is not one of them")
    params = trace.config.get("params", {})
    if params.get("overlap"):
        return ("the pp_frag_count/dma_addr_upper overlap exists on 32-bit architectures with "
                "64-bit DMA only; the harness is 64-bit")
    for st in trace.steps[1:]:
        if st.action not in FRAG_STEPS:
            return f"the spec action {st.action} has no kernel counterpart in FRAG_STEPS"
    return ""


def _frag_index(who: str) -> int | None:
    return int(who[6:-1]) if who.startswith("frags[") else None


def translate_frag(trace: Trace) -> tuple[Scenario, list[FragCall], dict[int, int]]:
    """The kernel scenario: the NAPI (context 0) and one freeing softirq per allocation slot;
    the calls and, per spec step, its call."""
    params = trace.config.get("params", {})
    nfr = int(params.get("frags", 3))
    unit = PAGE_SIZE // int(params.get("page", 4))
    calls: list[FragCall] = []
    call_of: dict[int, int] = {}
    var_of: dict[int, str] = {}  # allocation slot -> the variable of its current allocation
    napi_open: int | None = None
    put_open: dict[int, int] = {}
    n = 0
    for i, st in enumerate(trace.steps[1:], start=1):
        row = FRAG_STEPS[st.action]
        a = st.args
        if st.who == "napi":
            f = int(a["f"])
            if napi_open is not None:
                k = napi_open
                calls[k].steps.append(i)
            else:
                n += 1
                var_of[f] = f"a{n}"
                size = int(a.get("size", 0)) * unit
                whole = Op.ALLOC_FRAGMENTED if int(params.get("whole", 1)) == 2 else Op.ALLOC
                ins = Instr(whole, var_of[f]) if row.op == Op.ALLOC else \
                    Instr(Op.ALLOC_FRAG, var_of[f], size=size)
                calls.append(FragCall(0, ins, [i]))
                k = len(calls) - 1
            call_of[i] = k
            # the call returns once the slot holds its allocation
            if st.state["frags"][f]["pc"] != "FREE":
                calls[k].returns = True
                napi_open = None
            else:
                napi_open = k
        else:
            f = _frag_index(st.who)
            if f is None:
                raise ValueError(f"step {i}: {st.who} is not a context of {trace.model}")
            if f in put_open:
                k = put_open[f]
                calls[k].steps.append(i)
            else:
                calls.append(FragCall(f + 1, Instr(Op.PUT, var_of.get(f), direct=False), [i]))
                k = len(calls) - 1
            call_of[i] = k
            if st.state["frags"][f]["pc"] == "FREE":
                calls[k].returns = True
                put_open.pop(f, None)
            else:
                put_open[f] = k
    progs: dict[int, list[Instr]] = {c: [] for c in range(nfr + 1)}
    for cl in calls:
        progs[cl.ctx].append(cl.instr)
    ctxs = [CtxSpec("softirq@0", 0, True, tuple(progs[0]), consumer=True)]
    ctxs += [CtxSpec(f"softirq@{f + 1}", f + 1, True, tuple(progs[f + 1])) for f in range(nfr)]
    npages = int(params.get("pages", 2))
    sc = Scenario(f"spec:{trace.model}-{trace.config.get('name')}-{trace.property}",
                  f"spec trace {trace.model}/{trace.config.get('name')} {trace.property}",
                  tuple(ctxs), npages=npages,
                  flags=PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV | PP_FLAG_PAGE_FRAG,
                  pool_size=2 * npages, napi_cpu=-1, cpuid=-1, rt=False, destroys=False, fine=True)
    return sc, calls, call_of


def abstract(state: dict[str, Any], s: KState, perm: list[int], bias: int, unit: int,
             warned: bool, big: int) -> dict[str, Any]:
    """The spec state ``state`` with its pages, pool frag state and ``negative`` ghost read off
    the C state (allocations, the world, from ``state``)."""
    out = deepcopy(state)
    inv = {pf: i for i, pf in enumerate(perm)}
    held = set(s.cache) | set(s.ring)
    for i, pg in enumerate(out["pages"]):
        kp = s.pages[perm[i]]
        if kp.free:
            loc = "BUDDY"
        elif kp.pfn in held:
            loc = "RING"
        elif s.frag_page == kp.pfn:
            loc = "FRAG"
        else:
            loc = "USERS"
        cnt = kp.pp_ref - big + bias if kp.pp_ref > 1 << 40 else kp.pp_ref
        pg.update({"loc": loc, "count": 0 if kp.free else max(cnt, 0), "mapped": kp.mapped})
    pool = out["pool"]
    pool["frag_page"] = inv.get(s.frag_page) if s.frag_page is not None else None
    pool["frag_users"] = s.frag_users if s.frag_page is not None else pool["frag_users"]
    pool["frag_offset"] = s.frag_offset // unit if s.frag_page is not None else pool["frag_offset"]
    out["ghost"]["negative"] = warned
    return out


def _differs(want: dict[str, Any], got: dict[str, Any]) -> str:
    for i, (w, g) in enumerate(zip(want["pages"], got["pages"])):
        for k in ("loc", "mapped") + (("count",) if w["loc"] != "BUDDY" else ()):
            if w[k] != g[k]:
                return f"page {i}: {k} is {g[k]} in the C state, {w[k]} in the spec"
    for k in ("frag_page", "frag_users", "frag_offset"):
        if want["pool"]["frag_page"] is None and k != "frag_page":
            continue
        if want["pool"][k] != got["pool"][k]:
            return f"pool.{k} is {got['pool'][k]} in the C state, {want['pool'][k]} in the spec"
    return ""


def _quiescent(state: dict[str, Any]) -> bool:
    return state["pool"]["drain"] == 0 and all(f["pc"] != "SUB" for f in state["frags"])


class FragReplayer:
    """Runs a pp003_before trace on a 6.1-era tree's page_pool.c."""

    def __init__(self, tree: Tree, trace: Trace, patch: str | None = None):
        from ppcheck.checks.explorer import Concrete
        from ppcheck.checks.replay import system_for

        self.trace = trace
        self.sc, self.calls, self.call_of = translate_frag(trace)
        params = trace.config.get("params", {})
        self.bias = int(params.get("page", 4)) + 1
        self.unit = PAGE_SIZE // int(params.get("page", 4))
        # frame pointers (the replay build) for the yield points' call stacks; 6.1's constants
        self.build = build(tree, patch=patch, fine=True, scope=(128, 64))
        self.k = Kernel(self.build)
        self.big = bias_max(tree)
        self.sym = Symbols(self.build.lib)
        self.system = system_for(trace)
        self.conc = Concrete(self.system)

    def owner(self, c: int, actions: list[str]) -> str | None:
        from .spec_replay import action_starting_at

        return action_starting_at(self.sym, self.k, c, actions, FRAG_STEPS)

    def violations(self, st: dict[str, Any]) -> set[str]:
        from ppcheck.spec.model import ALWAYS

        packed = self.system.layout.from_json(st)
        return {p.name for i, p in enumerate(self.system.properties)
                if p.kind == ALWAYS and not self.conc.holds(i, packed)}

    def run(self):  # -> spec_replay.Outcome
        from .spec_replay import Outcome

        k, trace = self.k, self.trace
        run = Run(k, self.sc)
        run.reset()
        out = Outcome("reproduced", "")
        perm = list(range(len(trace.steps[0].state["pages"])))
        seen = [0]
        warned = [False]

        def kstep(c: int) -> str:
            if c not in run.enabled():
                return f"the kernel's execution rules do not let {self.sc.contexts[c].name} run now"
            info = run.step(c)
            out.kernel_steps += 1
            log = k.log()
            for p, d in log_violations(log[seen[0]:]) + state_violations(run, run.last, info):
                out.failed.setdefault(_PROP_OF.get(p, p), d)
                warned[0] |= p == "pp_ref_never_negative"
            seen[0] = len(log)
            return ""

        def diverge(i: int, why: str):
            st = trace.steps[i]
            out.verdict = "diverged"
            out.detail = f"step {i} ({st.who} {st.action}): {why}"
            return out

        for i, st in enumerate(trace.steps[1:], start=1):
            out.steps = i
            prev = trace.steps[i - 1].state
            call = self.calls[self.call_of[i]]
            c = call.ctx
            pos = call.steps.index(i)
            later = [trace.steps[j].action for j in call.steps[pos + 1:]]
            ends = pos == len(call.steps) - 1 and call.returns
            if not k.busy(c):
                if call.instr.op == Op.PUT and call.instr.page not in run.vars:
                    return diverge(i, f"{call.instr.text()}: the kernel never allocated that page")
                if "p" in st.args and prev["pages"][int(st.args["p"])]["loc"] == "BUDDY":
                    k.buddy_next(perm[int(st.args["p"])])
                k.buddy_plan(limit=1)  # the model takes one page from the buddy at a time
                why = kstep(c)
                if why:
                    return diverge(i, why)
            elif st.action == "page_pool_alloc_frag_new" and \
                    prev["pages"][int(st.args["p"])]["loc"] == "BUDDY":
                k.buddy_next(perm[int(st.args["p"])])
                k.buddy_plan(limit=1)
            moved = False
            while k.busy(c):
                if not ends:
                    cands = later or [a for a, r in FRAG_STEPS.items() if r.starts]
                    who = self.owner(c, cands)
                    if who is not None and (who != st.action or moved):
                        break
                why = kstep(c)
                if why:
                    return diverge(i, why)
                moved = True
            if call.instr.op != Op.PUT and not k.busy(c):
                f = int(st.args["f"])
                x = run.vars.get(call.instr.page or "", -1)
                sp = st.state["frags"][f]["page"]
                if x < 0:
                    return diverge(i, f"{call.instr.text()} failed where the spec allocated")
                if sp is not None and perm[sp] != x:  # an interchangeable page: rename it
                    j = perm.index(x)
                    perm[sp], perm[j] = perm[j], perm[sp]
            if _quiescent(st.state) and not any(k.busy(d) for d in range(len(self.sc.contexts))):
                got = abstract(st.state, run.last, perm, self.bias, self.unit, warned[0], self.big)
                why = _differs(st.state, got)
                out.compared += 1
                if why:
                    return diverge(i, f"the quiescent states differ: {why}")
        for _ in range(500):  # the calls the trace leaves in flight run to their return
            busy = [d for d in range(len(self.sc.contexts)) if k.busy(d)]
            if not busy:
                break
            en = [d for d in busy if d in run.enabled()]
            if not en:
                out.failed.setdefault("no_deadlock", "a call in flight cannot finish")
                break
            kstep(en[0])
        last = trace.steps[-1].state
        final = abstract(last, run.last, perm, self.bias, self.unit, warned[0], self.big)
        for f, fr in enumerate(final["frags"]):  # a put the trace left in flight has finished
            if fr["pc"] == "SUB":
                final["frags"][f] = deepcopy(trace.steps[0].state["frags"][f])
        for cl in self.calls:  # an allocation the trace left in flight has handed its page out
            x = run.vars.get(cl.instr.page or "", -1)
            if cl.ctx == 0 and not cl.returns and x >= 0:
                first = trace.steps[cl.steps[0]]
                f, size = int(first.args["f"]), int(first.args.get("size", 0))
                final["frags"][f].update({"pc": "HELD", "page": perm.index(x), "size": size,
                                          "truesize": size, "owner": int(first.args.get("k", 0)),
                                          "whole": cl.instr.op != Op.ALLOC_FRAG})
        for name in self.violations(final):
            out.failed.setdefault(name, f"{name} fails on the final C state, abstracted")
        spec_bad: set[str] = set()
        for s in trace.steps:
            spec_bad |= self.violations(s.state)
        want = trace.property
        if trace.kind == "sometimes":
            out.detail = (f"{out.steps} spec steps as {out.kernel_steps} kernel steps, "
                          f"{out.compared} quiescent states agree")
            extra = sorted(set(out.failed) - spec_bad)
            if extra:
                out.verdict = "diverged"
                out.detail += f"; but the kernel fails {', '.join(extra)}, which the trace does not"
            return out
        if want in out.failed:
            out.detail = (f"{out.steps} spec steps as {out.kernel_steps} kernel steps, {out.compared} "
                          f"quiescent states agree; the kernel fails {want} ({out.failed[want]})")
        else:
            out.verdict = "not reproduced"
            out.detail = (f"{out.steps} spec steps as {out.kernel_steps} kernel steps; the kernel "
                          f"fails {', '.join(sorted(out.failed)) or 'nothing'}, not {want}")
        return out
