"""One options object for every engine, and the one call that runs any engine with it.

The CLI builds :class:`EngineOptions` from its shared options (budgets, properties, traces)
and hands it to :func:`run_engine`; an engine takes what applies to it and says nothing of
the rest (a depth bound is BMC's, symmetry reduction the explorer's).  Options that a
backend adds to the CLI (``ppcheck.cli.ENGINE_OPTIONS``) arrive in ``extra``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ppcheck.spec.model import System

from .verdict import RunResult

#: the engines :func:`run_engine` knows: the explorer and the Z3 engines of checks/prove.py
ENGINES = ("explorer", "bmc", "kind", "chc")


@dataclass(frozen=True)
class EngineOptions:
    """What a run is asked for (None: the engine's default)."""

    properties: list[str] | None = None  #: only these properties (None: every one)
    timeout: float | None = None  #: seconds
    max_states: int | None = None  #: explorer: distinct-state budget
    depth: int | None = None  #: explorer: depth budget; Z3: the BMC bound / maximum k
    out_dir: str | Path | None = None  #: where counterexamples are written
    symmetry: bool = True  #: explorer: symmetry reduction
    stop_at_first: bool = False  #: explorer: stop at the first violation
    progress: Callable[[dict[str, Any]], None] | None = None  #: explorer: progress callback
    backend: str | None = None  #: explorer: "native" (C), "python"; None: native if it can build
    workers: int | None = None  #: native explorer: BFS threads (None: all cores)
    note: Callable[[str], None] | None = None  #: one line for the person (a backend fallback)
    extra: dict[str, Any] = field(default_factory=dict)  #: options a backend added to the CLI


def run_engine(system: System, engine: str, opts: EngineOptions) -> RunResult:
    """Run ``engine`` on ``system`` with ``opts``."""
    if engine == "explorer":
        from .native import run_explorer

        return run_explorer(system, opts.backend, opts.workers, opts.note, symmetry=opts.symmetry,
                            max_states=opts.max_states, timeout=opts.timeout, progress=opts.progress,
                            progress_every=1.0, out_dir=opts.out_dir, stop_at_first=opts.stop_at_first,
                            max_depth=opts.depth, properties=opts.properties)[0]
    if engine in ENGINES:
        from .prove import prove

        return prove(system, engine, opts.depth, opts.timeout, out_dir=opts.out_dir,
                     properties=opts.properties)
    raise ValueError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
