"""Independent runs of one ``ppcheck check`` at once, in a fork pool, reported in plan order.

The main job checks 27 (model, configuration) pairs; most of each run is Python (tracing the
model into a System, witnesses and their replay, the report) that a second BFS thread does
not speed up.  On a machine with free cores, :func:`parallelism` gives each core one run at
a time (one BFS thread each) instead of all cores to one run; on a loaded machine (the
1-minute load average at or above the cores) one run at a time on one thread, since a BFS
thread held at a barrier waits for one that is not running (docs/explorer.md) and more
processes only take cores from the others.  Every choice gives the same states, traces,
verdicts and output bytes: runs are independent, each writes its traces into a private
folder that the parent moves to ``--out`` when it reports that run, in plan order.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def loaded(ncores: int | None = None) -> bool:
    """Whether the machine is busy: the 1-minute load average at or above the cores."""
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - no load average
        return False
    return load >= (ncores or cores())


@dataclass(frozen=True)
class Parallelism:
    """How a plan of runs uses the cores: ``jobs`` runs at once, ``workers`` BFS threads each."""

    jobs: int
    workers: int
    why: str  #: how it was chosen (benchmarks print it)


def parallelism(nruns: int, workers: int | None, jobs: int | None = None) -> Parallelism:
    """The default of ``--workers``/``--jobs`` for a plan of ``nruns`` runs.

    Given ``--workers`` or ``$PPCHECK_WORKERS`` (the test suite sets 1 under pytest-xdist):
    those threads, one run at a time (unless ``jobs`` is given).  Else, on a loaded machine
    (:func:`loaded`): one run, one thread.  Else several runs: one run per core, one thread
    each; one run: every core to it."""
    from ppcheck.checks.native.explorer import default_workers

    n = cores()
    if workers is not None or os.environ.get("PPCHECK_WORKERS", "").strip():
        w = workers or default_workers()
        return Parallelism(max(1, min(jobs or 1, nruns)), w, "given")
    if jobs is not None:
        return Parallelism(max(1, min(jobs, nruns)), 1 if jobs > 1 else n, "given")
    if loaded(n):
        return Parallelism(1, 1, f"load average {os.getloadavg()[0]:.1f} >= {n} cores")
    if nruns > 1 and n > 1:
        return Parallelism(min(n, nruns), 1, f"{n} free cores, {nruns} runs")
    return Parallelism(1, n, f"{n} free cores, one run")


# -- the pool --------------------------------------------------------------------------------

#: what the forked workers run: set by :func:`run_in_order` before the fork
_TASK: dict[str, Any] = {}


@dataclass
class Outcome:
    """What a forked run sends back: its value, or that Ctrl-C or an exception stopped it."""

    index: int
    value: Any = None
    interrupted: bool = False  #: Ctrl-C before the run had a result
    error: BaseException | None = None
    notes: tuple[str, ...] = ()  #: one-line notes of the run, printed by the parent


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _child(i: int) -> Outcome:
    """Run task ``i`` in a worker: the first SIGINT (from the terminal, or forwarded by the
    parent) interrupts it as it interrupts a run in the parent; later ones are ignored."""
    fired = [False]

    def on_sigint(signum: int, frame: Any) -> None:
        if not fired[0]:
            fired[0] = True
            raise KeyboardInterrupt

    notes: list[str] = []
    out = Outcome(i)
    trace_dir = Path(_TASK["root"]) / str(i)
    signal.signal(signal.SIGINT, on_sigint)
    try:
        out.value = _TASK["work"](i, str(trace_dir), notes.append)
    except KeyboardInterrupt:
        out.interrupted = True
    except BaseException as e:  # sent to the parent, which raises it where the run stood
        out.error = e
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    out.notes = tuple(notes)
    return out


def run_in_order(n: int, jobs: int, work: Callable[[int, str, Callable[[str], None]], Any],
                 ) -> Iterator[tuple[Outcome, Path]]:
    """Run ``work(i, trace_dir, note)`` for i < n in a fork pool of ``jobs`` processes and
    yield (outcome, trace_dir) in order of i.  The caller moves what it accepts out of
    ``trace_dir`` (:func:`adopt_traces`).  Ctrl-C while waiting: every worker is
    interrupted and the outcome waited for next still arrives (interrupted or partial);
    leaving the generator ends the pool."""
    root = tempfile.mkdtemp(prefix="ppcheck-runs-")
    _TASK.update(work=work, root=root)
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(jobs, initializer=_ignore_sigint)
    try:
        it = pool.imap(_child, range(n), chunksize=1)
        for i in range(n):
            try:
                out = next(it)
            except KeyboardInterrupt:
                for p in multiprocessing.active_children():
                    if p.pid:
                        with contextlib.suppress(OSError):
                            os.kill(p.pid, signal.SIGINT)
                out = next(it)
                out.interrupted = out.interrupted or out.value is None
                yield out, Path(root) / str(i)
                return
            yield out, Path(root) / str(i)
    finally:
        pool.terminate()
        pool.join()
        _TASK.clear()
        shutil.rmtree(root, ignore_errors=True)


def adopt_traces(results: list[Any], private: Path, out_dir: str) -> None:
    """Move the traces a forked run wrote into ``private`` to ``out_dir`` (each written
    atomically, as the engine writes it) and point its results at them."""
    from ppcheck.checks.traces import write_atomic

    if not private.is_dir():
        return
    moved: dict[str, str] = {}
    for f in sorted(private.iterdir()):
        dest = Path(out_dir) / f.name
        write_atomic(dest, f.read_text(encoding="utf-8"))
        moved[str(f)] = str(dest)
    for r in results:
        if r.trace_file in moved:
            r.trace_file = moved[r.trace_file]
