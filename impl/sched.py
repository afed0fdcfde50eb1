"""Schedulers: who runs next.  The same kernel code runs under each of them.

A :class:`Task` is one kernel call (a generator from :mod:`ppcheck.impl.page_pool` or
:mod:`ppcheck.impl.skbuff`) running in a :class:`~ppcheck.impl.kernel.Context`,
suspended at a label; :func:`resume` runs the labelled step.  Drivers pick the task:

* :class:`RandomScheduler`: a seeded random pick among enabled tasks;
* :func:`explore`: every interleaving up to a bound, by stateless depth-first search
  (re-executing the schedule prefix from a fresh world, since generators cannot be
  copied) with a visited set over the *whole* state: shared memory plus every
  suspended generator's frame (its position and locals), so two schedules that lead
  to the same state are expanded once.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from .kernel import Context, Kernel, Page, Step


@dataclass
class Task:
    """One call in progress in its context, suspended at its ``pending`` label."""

    ctx: Context
    gen: Generator
    op: str  # what the driver/stack asked for, e.g. "put(1)"
    pending: Step | None = None
    done: bool = False
    result: Any = None
    steps: int = 0

    def enabled(self) -> bool:
        return not self.done and self.pending is not None and self.pending.enabled()


def prime(k: Kernel, task: Task) -> None:
    """Run a new call up to its first label (the code before it must not touch shared
    state: it only reads the arguments)."""
    _advance(k, task)


def _advance(k: Kernel, task: Task) -> None:
    k.current = task.ctx
    try:
        task.pending = next(task.gen)
        task.ctx.pending = task.pending
    except StopIteration as stop:
        task.done, task.result, task.pending = True, stop.value, None
        task.ctx.pending = None
    finally:
        k.current = None


def resume(k: Kernel, task: Task) -> Step:
    """Run ``task``'s pending step (up to its next label) and return the step it was:
    the pending label, or the action the step claimed (Kernel.claim) while it ran."""
    if task.done or task.pending is None:
        raise RuntimeError(f"task {task.op} has finished")
    label = task.pending
    k.claimed = None
    _advance(k, task)
    task.steps += 1
    claimed, k.claimed = k.claimed, None
    return claimed if claimed is not None else label


class RandomScheduler:
    """Pick uniformly among enabled tasks, reproducibly from ``seed``."""

    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)

    def pick(self, tasks: list[Task]) -> Task | None:
        ready = [t for t in tasks if t.enabled()]
        return self.rng.choice(ready) if ready else None


# ---------------------------------------------------------------------------------------
# frame snapshots: the state of a suspended generator, for the visited set
# ---------------------------------------------------------------------------------------

def _value_key(v: Any, depth: int = 0) -> Any:
    if v is None or isinstance(v, (bool, int, str, float)):
        return v
    if isinstance(v, Page):
        return ("page", v.pfn)
    if isinstance(v, (tuple, list)):
        return tuple(_value_key(x, depth + 1) for x in v)
    if isinstance(v, Step):
        return (v.action, v.args)
    key = getattr(v, "frame_key", None)
    if key is not None:
        return key()
    # shared objects (the pool, the kernel, an skb) are captured by the world snapshot
    return ("obj", type(v).__name__, getattr(v, "id", None))


def frame_key(gen: Generator | None) -> tuple:
    """Position and locals of a suspended generator and everything it ``yield from``s."""
    out: list[Any] = []
    while gen is not None:
        fr = gen.gi_frame
        if fr is None:
            out.append("finished")
            break
        locs = tuple(sorted((k, _value_key(v)) for k, v in fr.f_locals.items()
                            if not k.startswith("@")))
        out.append((gen.gi_code.co_name, fr.f_lasti, locs))
        gen = gen.gi_yieldfrom if isinstance(gen.gi_yieldfrom, Generator) else None
    return tuple(out)


# ---------------------------------------------------------------------------------------
# exhaustive enumeration
# ---------------------------------------------------------------------------------------

@dataclass
class ExploreStats:
    schedules: int = 0  # maximal schedules (leaves) explored
    states: int = 0  # distinct states visited
    steps: int = 0  # steps executed, re-execution included
    max_depth: int = 0
    truncated: int = 0  # leaves cut by the depth bound
    failures: list[tuple[list[int], str]] = field(default_factory=list)


class Harness:
    """What :func:`explore` drives: a fresh world, its tasks, a per-step check."""

    def reset(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def tasks(self) -> list[Task]:  # pragma: no cover - interface
        raise NotImplementedError

    def run(self, task: Task) -> str | None:
        """Run one step of ``task`` and check it; a message when the check fails."""
        raise NotImplementedError  # pragma: no cover

    def key(self) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


def explore(h: Harness, max_depth: int, max_failures: int = 1,
            max_states: int | None = None) -> ExploreStats:
    """Every schedule of ``h``'s tasks up to ``max_depth`` steps, each step checked."""
    st = ExploreStats()
    seen: set[Any] = set()

    def replay(prefix: list[int]) -> str | None:
        h.reset()
        for i in prefix:
            msg = h.run(h.tasks()[i])
            st.steps += 1
            if msg:
                return msg
        return None

    stack: list[list[int]] = [[]]
    while stack:
        prefix = stack.pop()
        msg = replay(prefix)
        if msg:
            st.failures.append((prefix, msg))
            if len(st.failures) >= max_failures:
                break
            continue
        key = h.key()
        if key in seen:
            continue
        seen.add(key)
        st.states += 1
        st.max_depth = max(st.max_depth, len(prefix))
        if max_states is not None and st.states >= max_states:
            break
        ready = [i for i, t in enumerate(h.tasks()) if t.enabled()]
        if not ready:
            st.schedules += 1
            continue
        if len(prefix) >= max_depth:
            st.truncated += 1
            continue
        for i in reversed(ready):
            stack.append(prefix + [i])
    return st
