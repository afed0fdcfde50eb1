"""Tasks: one kernel call in progress per context, and how a scheduler resumes it.

A :class:`Task` is one call (a generator from :mod:`ppcheck.impl.page_pool`,
:mod:`ppcheck.impl.skbuff` or the driver code of :mod:`ppcheck.impl.world`) running in a
:class:`~ppcheck.impl.kernel.Context`, suspended at a label; :func:`resume` runs the
labelled step.  Who is resumed next is the driver's choice (:mod:`ppcheck.impl.explore`:
random schedules, exhaustive enumeration; :mod:`ppcheck.impl.machines`: Hypothesis).
:func:`frame_key` snapshots a suspended call (position and locals of every frame on its
stack) so exhaustive enumeration can recognise a state it has seen.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
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
