"""The native explorer: the Python explorer's search loop, with the inner loop in C.

:class:`NativeExplorer` is an :class:`~ppcheck.checks.explorer.Explorer` whose ``_run``
drives the generated C (``cgen.py``, built by ``build.py``) chunk by chunk: BFS level
by level, budgets, progress and Ctrl-C between chunks, exactly as the Python loop does.
Everything above the search is the Python explorer's own code: the symmetry soundness
checks, counterexamples rebuilt by re-executing the model concretely from the C parent
links, witnesses, ``leads_to`` on the graph (read from the C state store), results.
Every trace is replayed (``checks/replay.py``) before it is reported.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ppcheck.spec.expr import SpecError
from ppcheck.spec.model import ALWAYS, SOMETIMES, TRANSITION, System

from ..explorer import Concrete, Explorer, Violation
from ..traces import Trace
from ..verdict import (
    PropertyResult,
    RunResult,
)
from .build import build, load_cached, system_key
from .cgen import domain_message, generate

_KINDS = ("always", "transition", "assert", "domain")
#: the state store holds int32 parent links
MAX_STORE = (1 << 31) - (1 << 24)


def default_workers() -> int:
    """``$PPCHECK_WORKERS`` if set (the test suite sets 1 under pytest-xdist, which already
    fills the cores), else all the cores this process may run on.  Any count gives the
    same states, traces and verdicts; only the time differs."""
    env = os.environ.get("PPCHECK_WORKERS", "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise SpecError(f"PPCHECK_WORKERS must be a positive integer, not {env!r}")
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class _States(Sequence[int]):
    """The C state store seen as a list of packed ints (decoded on access)."""

    def __init__(self, owner: NativeExplorer):
        self.o = owner

    def __len__(self) -> int:
        return int(self.o.lib.pp_count(self.o.ctx))

    def _buf(self) -> Any:
        o = self.o
        return o.ffi.buffer(o.lib.pp_states(o.ctx), len(self) * o.sb)

    def __getitem__(self, i: Any) -> Any:
        sb = self.o.sb
        if isinstance(i, slice):
            buf = self._buf()
            return [int.from_bytes(buf[j * sb:(j + 1) * sb], "little")
                    for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        p = self.o.lib.pp_states(self.o.ctx)
        return int.from_bytes(self.o.ffi.buffer(p + i * sb, sb)[:], "little")

    def __iter__(self) -> Iterator[int]:
        buf, sb = self._buf(), self.o.sb
        raw = buf[:]
        for j in range(len(raw) // sb):
            yield int.from_bytes(raw[j * sb:(j + 1) * sb], "little")


class _Links(Sequence[int]):
    """Parent links or binding ids of the C store (-1 for an initial state)."""

    def __init__(self, owner: NativeExplorer, acts: bool):
        self.o, self.acts = owner, acts

    def __len__(self) -> int:
        return int(self.o.lib.pp_count(self.o.ctx))

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        lib, ctx = self.o.lib, self.o.ctx
        if self.acts:
            v = lib.pp_acts(ctx)[i]
            return -1 if v == 0xFFFF else int(v)
        return int(lib.pp_parents(ctx)[i])


class NativeExplorer(Explorer):
    """Breadth-first explorer with the search in generated C; ``run()`` as Explorer's."""

    backend = "native"

    def __init__(self, system: System, *, workers: int | None = None, chunk: int = 32768,
                 **kw: Any):
        super().__init__(system, chunk=chunk, **kw)
        # one thread by default: its traces are the same run after run (tests check the output
        # is byte-identical); N threads give the same counts and lengths, maybe another trace
        self.workers = max(1, workers or default_workers())
        self.ctx: Any = None
        self.store_bytes = 0
        self.build_seconds = 0.0
        self._source: str | None = None

    @property
    def source(self) -> str:
        """The generated C (made on first use: a cached build does not need it)."""
        if self._source is None:
            self._source = generate(self.system)
        return self._source

    def _load(self) -> None:
        """Generate, build (or reuse) and load the C for this system, once per explorer."""
        if getattr(self, "lib", None) is not None:
            return
        tb = time.perf_counter()
        sysm = self.system
        key = system_key(sysm)
        got = load_cached(key)  # the same system and generator built before: no source needed
        if got is None:
            got = build(self.source, f"{sysm.name}-{sysm.config.name}", sysm.fingerprint, key)
        self.ffi, self.lib, self.so_path = got
        self.sb = self.lib.pp_sb()
        self.build_seconds = time.perf_counter() - tb

    def _probe(self) -> Any:
        """The C functions in the shape of a Python-compiled module (for the symmetry checks)."""
        self._load()
        return CCompiled(self, symmetry=True)

    def _symmetry_probe(self) -> Any:
        """The symmetry soundness checks run on the C functions."""
        return self._probe()

    def _run(self) -> RunResult:
        sysm = self.system
        t0 = time.perf_counter()
        self._load()
        ffi, lib = self.ffi, self.lib
        self.compiled = CCompiled(self, self.symmetry)
        self.concrete = CConcrete(self)
        ctx = lib.pp_new(int(self.symmetry))
        if ctx == ffi.NULL:
            raise MemoryError("the native explorer could not allocate its state store")
        self.ctx = ffi.gc(ctx, lib.pp_free)
        if self.only is not None:
            for k, p in enumerate(sysm.properties):
                lib.pp_set_active(self.ctx, k, int(p.name in self.only))
        for s in sysm.init_states:
            lib.pp_add_init(self.ctx, s.to_bytes(self.sb, "little"))
        self.states, self.parents, self.acts = _States(self), _Links(self, False), _Links(self, True)
        self.search_seconds = 0.0  # in the C search itself
        nprops = len(sysm.properties)
        violations: list[Violation] = []
        recorded: set[int] = set()
        vidx, vbid = lib.pp_viol(self.ctx, 0), lib.pp_viol(self.ctx, 1)
        vmsg, vkind = lib.pp_viol(self.ctx, 2), lib.pp_viol(self.ctx, 3)

        def collect() -> None:
            for key in range(nprops + 1):
                if key in recorded or vidx[key] < 0:
                    continue
                recorded.add(key)
                kind = _KINDS[vkind[key]]
                bid = int(vbid[key])
                msg = ""
                if kind == "assert":
                    msg = sysm.bindings[bid].ir.assertions[vmsg[key]][1]
                elif kind == "domain":
                    msg = domain_message(sysm, bid)
                v = Violation(kind, key if key < nprops else -1, int(vidx[key]), bid, msg)
                violations.append(v)
                self._record(v)

        count = lambda: int(lib.pp_count(self.ctx))  # noqa: E731
        head, depth, level_end = 0, 0, count()
        complete, reason = True, ""
        last_report = t0
        try:
            while head < count():
                if head >= level_end:
                    if self.max_depth is not None and depth >= self.max_depth:
                        complete, reason = False, f"depth bound of {self.max_depth} reached"
                        break
                    depth += 1
                    level_end = count()
                hi = min(level_end, head + self.chunk)
                ts = time.perf_counter()
                rc = lib.pp_expand(self.ctx, head, hi, self.workers)
                self.search_seconds += time.perf_counter() - ts
                if rc != 0:
                    complete, reason = False, "out of memory"
                    break
                head = hi
                collect()
                n = count()
                now = time.perf_counter()
                if self.stop_at_first and violations:
                    complete, reason = False, "stopped at the first violation"
                    break
                if self.max_states is not None and n >= self.max_states and head < n:
                    complete, reason = False, f"state budget of {self.max_states} reached"
                    break
                if n >= MAX_STORE and head < n:
                    complete, reason = False, f"state store full ({MAX_STORE} states)"
                    break
                if self.timeout is not None and now - t0 >= self.timeout and head < n:
                    complete, reason = False, f"time budget of {self.timeout:g}s reached"
                    break
                if self.progress and now - last_report >= self.progress_every:
                    last_report = now
                    el = now - t0
                    self.progress({"states": n, "depth": depth, "frontier": n - head,
                                   "states_per_s": n / el if el else 0.0, "seconds": el})
        except KeyboardInterrupt:
            complete, reason = False, "interrupted (Ctrl-C)"
            collect()
        elapsed = time.perf_counter() - t0
        self.profile = self._profile(elapsed)
        self.head = head
        self.store_bytes = int(lib.pp_bytes(self.ctx))
        found = [int(x) for x in ffi.unpack(lib.pp_found_arr(self.ctx), max(nprops, 1))][:nprops]
        cov = [int(x) for x in ffi.unpack(lib.pp_cov(self.ctx), max(len(sysm.bindings), 1))]
        cov = cov[:len(sysm.bindings)]
        return self._result(violations, found, cov, int(lib.pp_dead(self.ctx)), complete, reason,
                            depth, elapsed)

    #: the C search's time accounts (runtime.c pp_prof), in its order
    PROFILE = ("expand", "settle", "room", "expand_cpu", "settle_cpu", "room_cpu", "serial_cpu",
               "rounds", "c_total")

    def _profile(self, elapsed: float) -> dict[str, float]:
        """Where the search's time went: the C accounts (walls of the expansion, of the
        settling and of the growth; CPU of every thread in them; ``serial_cpu``, what one
        thread did while the others waited), the Python loop around them (``python``: the
        search's wall not spent in C), and from those:

        ``serial``, the serial part's share of all the work, CPU-based, so the machine's
        load does not change it much; ``amdahl2``, the speed-up over this run's own work
        that two workers could reach at most (Amdahl's law with that serial share)."""
        raw = self.ffi.unpack(self.lib.pp_prof(self.ctx), len(self.PROFILE))
        p = {k: float(v) for k, v in zip(self.PROFILE, raw)}
        p["run"] = elapsed
        p["python"] = max(0.0, self.search_seconds - p["c_total"])
        serial = p["serial_cpu"] + p["python"]
        par = p["expand_cpu"] + p["settle_cpu"] + p["room_cpu"]
        p["work"] = serial + par
        p["serial"] = serial / p["work"] if p["work"] else 0.0
        p["amdahl2"] = p["work"] / (serial + par / 2) if p["work"] else 1.0
        return p

    def concrete_path(self, idx: int) -> list[tuple[Any, int]]:
        """Explorer.concrete_path, asking the cheap question first.

        Each step looks for the binding whose concrete successor canonicalises to the
        stored state; only when none does (a non-canonical orbit) does it fall back to the
        exact, slow same-orbit test over every binding."""
        if not self.symmetry:
            return super().concrete_path(idx)
        chain = []
        while idx >= 0:
            chain.append(idx)
            idx = self.parents[idx]
        chain.reverse()
        canon = self.compiled.namespace["canon"]
        first = self.states[chain[0]]
        cur = next(s for s in self.system.init_states if canon(s) == first)
        path: list[tuple[Any, int]] = [(None, cur)]
        for j in chain[1:]:
            target = self.states[j]
            succ = [(b, t) for b, t, _ in self.concrete.successors(cur) if t is not None]
            b0 = self.system.bindings[self.acts[j]]
            pick = next(((b, t) for b, t in succ if b.id == b0.id and canon(t) == target), None) \
                or next(((b, t) for b, t in succ if canon(t) == target), None) \
                or next(((b, t) for b, t in succ if self.matches(t, target)), None)
            if pick is None:  # pragma: no cover - an engine bug
                raise RuntimeError("internal error: could not re-execute a stored path")
            path.append(pick)
            cur = pick[1]
        return path

    def _check_leads_to(self, prop: int, complete: bool, reason: str) -> PropertyResult:
        store = self.states
        self.states = list(store)  # type: ignore[assignment]  # decoded once for the graph search
        try:
            return super()._check_leads_to(prop, complete, reason)
        finally:
            self.states = store

    def native_leads_to(self, prop: int, group: Callable[[Any], str]
                        ) -> tuple[int | None, Callable[[], Any] | None]:
        """The hook of ``checks/liveness.py``: leads_to property ``prop`` decided in C
        (``liveness.c``) on the finished store.  Returns (None, None) when it holds, else
        the store index of the first p-state that can avoid q forever and a function that
        rebuilds the not-q graph as networkx (same nodes and edges, added in the same
        order as ``liveness.leads_to_graph``) for the lasso."""
        import networkx as nx

        ffi, lib, sysm = self.ffi, self.lib, self.system
        names: dict[str, int] = {}
        grp = [names.setdefault(group(b), len(names)) for b in sysm.bindings]
        fairness = sysm.properties[prop].fairness
        fair = 0 if fairness is None else 2 if fairness.startswith("strong") else 1
        status = ffi.new("int *")
        raw = lib.pp_live(self.ctx, prop, ffi.new("int32_t[]", grp or [0]), len(names), fair, status)
        if status[0] == -1:
            raise MemoryError("the native liveness search ran out of memory")
        if status[0] != 0:  # pragma: no cover - an engine bug
            raise RuntimeError("internal error: a successor is missing from the state store")
        live = ffi.gc(raw, lib.pp_live_free)
        start = int(lib.pp_live_start(live))
        if start < 0:
            return None, None
        inv = list(names)

        def graph() -> tuple[Any, dict[int, frozenset], set[int]]:
            nn, ne, nen = (int(lib.pp_live_size(live, w)) for w in range(3))
            node = ffi.unpack(lib.pp_live_i32(live, 0), nn)
            edst, egrp = ffi.unpack(lib.pp_live_i32(live, 1), ne), ffi.unpack(lib.pp_live_i32(live, 2), ne)
            en = ffi.unpack(lib.pp_live_i32(live, 3), nen)
            eoff = ffi.unpack(lib.pp_live_off(live, 0), nn + 1)
            enoff = ffi.unpack(lib.pp_live_off(live, 1), nn + 1)
            dead = ffi.unpack(lib.pp_live_dead(live), nn)
            g = nx.DiGraph()
            enabled: dict[int, frozenset] = {}
            deadlocks: set[int] = set()
            for k in range(nn):
                i = node[k]
                g.add_node(i)
                enabled[i] = frozenset(inv[x] for x in en[enoff[k]:enoff[k + 1]])
                if dead[k]:
                    deadlocks.add(i)
                for e in range(eoff[k], eoff[k + 1]):
                    j, name = node[edst[e]], inv[egrp[e]]
                    if g.has_edge(i, j):
                        g[i][j]["groups"].add(name)
                    else:
                        g.add_edge(i, j, groups={name})
            return g, enabled, deadlocks

        return start, graph

    # -- every trace is replayed on the model before it is reported ----------------------
    def emit(self, tr: Trace) -> None:
        _replayed(tr, self.system, self.concrete)
        super().emit(tr)

    def edges(self) -> list[tuple[int, int]]:
        """Every transition (source index, canonical successor) of a finished exploration,
        computed by the C successor function."""
        out: list[tuple[int, int]] = []
        canon = self.canonical
        for i, s in enumerate(self.states):
            out += [(i, canon(t)) for _, t, _ in self.concrete.succ_raw(s) if t is not None]
        return out

    def _record_witness(self, prop: int, idx: int) -> None:
        super()._record_witness(prop, idx)
        _replayed(self.traces[self.system.properties[prop].name], self.system, self.concrete)


class CConcrete(Concrete):
    """Concrete execution (no symmetry) by the generated C: the Python Concrete's interface."""

    def __init__(self, owner: NativeExplorer):
        self.system = owner.system
        self.o = owner
        nb = len(self.system.bindings)
        ffi = owner.ffi
        self._bufs = (ffi.new("int32_t[]", nb), ffi.new("int32_t[]", nb), ffi.new("int32_t[]", nb),
                      ffi.new("uint8_t[]", nb), ffi.new("uint8_t[]", max(1, nb) * owner.sb))
        self._last: tuple[int, list] | None = None
        self._dom: dict[int, str] = {}  # domain error messages, computed when first needed

    def succ_raw(self, s: int) -> list[tuple[int, int | None, Any]]:
        """(binding id, successor or None, error or None) for every enabled binding of ``s``."""
        if self._last is not None and self._last[0] == s:
            return self._last[1]
        o, sb = self.o, self.o.sb
        bids, ek, em, ok, st = self._bufs
        n = o.lib.pp_succ(s.to_bytes(sb, "little"), bids, ek, em, ok, st)
        raw = o.ffi.buffer(st, n * sb)[:]
        out: list[tuple[int, int | None, Any]] = []
        for i in range(n):
            bid = int(bids[i])
            t = int.from_bytes(raw[i * sb:(i + 1) * sb], "little") if ok[i] else None
            err = None
            if ek[i] == 2:
                err = ("assert", self.system.bindings[bid].ir.assertions[em[i]][1])
            elif ek[i] == 3:
                msg = self._dom.get(bid)
                if msg is None:
                    msg = self._dom[bid] = domain_message(self.system, bid)
                err = ("domain", msg)
            out.append((bid, t, err))
        self._last = (s, out)
        return out

    def step(self, s: int, b: Any) -> tuple[int | None, Any]:
        bid = b if isinstance(b, int) else b.id
        for i, t, err in self.succ_raw(s):
            if i == bid:
                return t, err
        return None, None

    def successors(self, s: int) -> list[tuple[Any, int | None, Any]]:
        bs = self.system.bindings
        return [(bs[i], t, err) for i, t, err in self.succ_raw(s)]

    def holds(self, prop_index: int, s: int, t: int | None = None) -> bool:
        sb = self.o.sb
        r = self.o.lib.pp_prop(prop_index, s.to_bytes(sb, "little"),
                               self.o.ffi.NULL if t is None else t.to_bytes(sb, "little"))
        if r < 0:  # pragma: no cover - a caller bug
            raise ValueError(f"property {prop_index} is not a state or transition property")
        return bool(r)


class CCompiled:
    """The C functions under the names of a Python-compiled module's namespace."""

    @property
    def source(self) -> str:
        return self.owner.source

    def __init__(self, owner: NativeExplorer, symmetry: bool):
        self.owner = owner
        conc = CConcrete(owner)
        ffi, lib, sb = owner.ffi, owner.lib, owner.sb
        out = ffi.new("uint8_t[]", sb)

        def canon(t: int) -> int:
            lib.pp_canon_bytes(t.to_bytes(sb, "little"), out)
            return int.from_bytes(ffi.buffer(out, sb)[:], "little")

        self.namespace: dict[str, Any] = {
            "canon": canon if symmetry else (lambda t: t), "succ_all": conc.succ_raw}
        system = owner.system

        def asymmetry(states: list[int]) -> str | None:
            """symmetry.asymmetry on these functions, in C (symmetry.c): the same question
            in the same order, so the same answer, word for word."""
            buf = b"".join(s.to_bytes(sb, "little") for s in states)
            res = ffi.new("int32_t[3]")
            at = lib.pp_asym(buf, len(states), res)
            if at == -2:
                raise MemoryError("the native symmetry probe ran out of memory")
            if at < 0:
                return None
            kind, k, arr = res[0], res[1], system.symmetric_arrays[res[2]]
            if kind == 1:
                return f"property {system.properties[k].name} distinguishes records of {arr}"
            if kind == 2:
                return f"the actions treat records of {arr} differently"
            return f"transition property {system.properties[k].name} distinguishes records of {arr}"

        #: the hook of checks/symmetry.py asymmetry (only with the real canonical form)
        self.asymmetry = asymmetry if symmetry else None
        nprops = len(owner.system.properties)
        res = ffi.new("uint8_t[]", max(1, nprops))
        memo: dict[int, bytes] = {}

        def props_of(s: int) -> bytes:
            """Every state property of ``s`` in one C call (a few states are asked in turn)."""
            v = memo.get(s)
            if v is None:
                if len(memo) > 64:
                    memo.clear()
                lib.pp_props_all(s.to_bytes(sb, "little"), res)
                v = memo[s] = ffi.buffer(res, max(1, nprops))[:]
            return v

        for k, p in enumerate(owner.system.properties):
            if p.kind in (ALWAYS, SOMETIMES):
                self.namespace[f"prop_{k}"] = lambda s, k=k: bool(props_of(s)[k])
            elif p.kind == TRANSITION:
                self.namespace[f"prop_{k}"] = lambda s, t, k=k: conc.holds(k, s, t)


def _replayed(tr: Trace, system: System, concrete: Concrete) -> None:
    from ..replay import replay

    replay(tr, system, concrete)  # raises if the trace is not a real run showing what it claims
