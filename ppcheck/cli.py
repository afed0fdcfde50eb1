"""The ``ppcheck`` command line.

Exit codes (every command): 0 every property holds (every witness reached), 1 a violation
(or a vacuous witness, or a base model that already fails in ``diff``, or a trace that does
not replay), 2 bad usage or input (one line on stderr: an unknown model, a model file that
does not import, a malformed trace, an unwritable output), 3 incomplete (a budget, timeout,
Ctrl-C or solver ``unknown`` cut the check short).  A violation outranks incomplete, which
outranks a write failure: the verdict is never hidden by a problem writing it down.

Options are shared (:func:`options`): every command that checks takes ``--config/--set``,
the budgets, ``-q/--json/--out`` and ``--junit/--sarif``; a new engine flag is added once, to
:data:`ENGINE_OPTIONS`, and every checking command has it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from ppcheck.checks.report import (
    RunEntry,
    dumps,
    envelope,
    exit_code_of,
    run_json,
    shortest_violation,
    summarize,
)
from ppcheck.checks.verdict import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VIOLATION,
    RunResult,
    is_failure,
)
from ppcheck.spec.expr import SpecError


class UsageFailure(Exception):
    """Bad usage or input: reported as one line, exit 2."""


def _fail(msg: str) -> None:
    raise UsageFailure(msg)


# -- Ctrl-C: the first one stops the whole command ------------------------------------------

INTERRUPTED = threading.Event()


def _on_sigint(signum: int, frame: Any) -> None:
    if INTERRUPTED.is_set():  # a second Ctrl-C: stop now
        signal.signal(signal.SIGINT, signal.default_int_handler)
    INTERRUPTED.set()
    raise KeyboardInterrupt


# -- invocation state (which command, --json) for error reporting ---------------------------

@dataclass
class Invocation:
    command: str = ""
    as_json: bool = False
    quiet: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


CURRENT = Invocation()


# -- shared options -----------------------------------------------------------------------------

def _opt_config(f: Callable) -> Callable:
    f = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                     help="Override a configuration parameter (a JSON value).")(f)
    return click.option("--config", "config", metavar="NAME",
                        help="Configuration name (default: each model's defaults).")(f)


def _opt_budget(f: Callable) -> Callable:
    f = click.option("--max-depth", type=click.IntRange(min=0),
                     help="Depth bound (incomplete when reached).")(f)
    f = click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
                     help="Time budget (s) per run (incomplete when reached).")(f)
    return click.option("--max-states", type=click.IntRange(min=1),
                        help="State budget (incomplete when reached).")(f)


def _opt_traces_out(f: Callable) -> Callable:
    return click.option("--out", "out_dir", default="counterexamples", show_default=True,
                        metavar="DIR", help="Where counterexample traces are written.")(f)


def _opt_file_out(f: Callable) -> Callable:
    return click.option("--out", "out_file", default=None, metavar="FILE",
                        help="Write to FILE (atomically) instead of stdout.")(f)


def _opt_output(f: Callable) -> Callable:
    f = click.option("-q", "--quiet", is_flag=True, help="No progress or notes on stderr.")(f)
    return click.option("--json", "as_json", is_flag=True,
                        help="One versioned JSON object on stdout (see `ppcheck schema`).")(f)


def _opt_ci(f: Callable) -> Callable:
    f = click.option("--sarif", "sarif_file", metavar="FILE",
                     help="Write a SARIF 2.1.0 log (violations with their traces as code flows).")(f)
    return click.option("--junit", "junit_file", metavar="FILE",
                        help="Write a JUnit XML report (a test case per model x config x property).")(f)


#: engine flags every checking command takes (other back-ends append theirs here)
ENGINE_OPTIONS: list[Callable[[Callable], Callable]] = []

_GROUPS: dict[str, Callable[[Callable], Callable]] = {
    "config": _opt_config, "budget": _opt_budget, "traces": _opt_traces_out,
    "file": _opt_file_out, "output": _opt_output, "ci": _opt_ci,
    "engine": lambda f: _apply(ENGINE_OPTIONS, f),
}


def _apply(decos: list[Callable[[Callable], Callable]], f: Callable) -> Callable:
    for d in reversed(decos):
        f = d(f)
    return f


def options(*groups: str) -> Callable[[Callable], Callable]:
    """The shared options of a command, by group name (one definition for every command)."""

    def deco(f: Callable) -> Callable:
        for g in reversed(groups):
            f = _GROUPS[g](f)
        return f

    return deco


def _begin(command: str, as_json: bool = False, quiet: bool = False) -> None:
    CURRENT.command, CURRENT.as_json, CURRENT.quiet = command, as_json, quiet


def _note(msg: str) -> None:
    """A line for the person on stderr (notes and warnings; suppressed by -q)."""
    if not CURRENT.quiet:
        click.echo(f"ppcheck: {msg}", err=True)


# -- models and configurations ------------------------------------------------------------------

def _models(refs: tuple[str, ...]) -> list[Any]:
    from ppcheck.loading import resolve
    from ppcheck.models import default_models

    if not refs:
        ms = default_models()
        if not ms:
            _fail("no default models are registered")
        return ms
    out: list[Any] = []
    for r in refs:
        for m in resolve(r):
            if m not in out:
                out.append(m)
    return out


def _model(ref: str) -> Any:
    from ppcheck.loading import resolve_one

    return resolve_one(ref)


def _parse_sets(sets: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in sets:
        if "=" not in s:
            _fail(f"--set expects KEY=VALUE, got {s!r}")
        k, v = s.split("=", 1)
        if not k:
            _fail(f"--set expects KEY=VALUE, got {s!r}")
        try:
            out[k] = json.loads(v)
        except (json.JSONDecodeError, RecursionError):
            _fail(f"--set {k}: {v[:60]!r} is not a number, true/false or a JSON value")
    return out


def _typed(model: Any, name: str, sets: dict[str, Any]) -> dict[str, Any]:
    """``--set`` values checked against the type of the configuration's own value (an
    integer parameter takes an integer, not 1.5 or true; a list takes a list of the same
    kind of items); unknown keys are left to :meth:`Model.config` to name."""
    base = model.configs.get(name, {})
    out = {}
    for k, v in sets.items():
        if k not in base:
            out[k] = v
            continue
        d = base[k]
        kind = ("a boolean" if isinstance(d, bool) else "an integer" if isinstance(d, int)
                else "a number" if isinstance(d, float) else "a string" if isinstance(d, str)
                else "a list" if isinstance(d, (list, tuple)) else None)
        ok = (isinstance(v, bool) if isinstance(d, bool)
              else isinstance(v, int) and not isinstance(v, bool) if isinstance(d, int)
              else isinstance(v, (int, float)) and not isinstance(v, bool) if isinstance(d, float)
              else isinstance(v, str) if isinstance(d, str)
              else isinstance(v, list) and all(type(x) is type(d[0]) for x in v)
              if isinstance(d, (list, tuple)) and d else True)
        if kind is not None and not ok:
            _fail(f"--set {k}: expects {kind} (configuration {name} has {k}={json.dumps(d)}), "
                  f"got {json.dumps(v)[:60]}")
        out[k] = tuple(v) if isinstance(d, tuple) and isinstance(v, list) else v
    return out


def _configs(model: Any, config: str | None, sets: dict[str, Any]) -> list[Any]:
    names = [config] if config else list(model.default_configs)
    return [model.config(n, **_typed(model, n, sets)) for n in names]


def _entry(run: RunResult, system: Any, model: Any) -> RunEntry:
    from ppcheck.checks.traces import model_source

    return RunEntry(run, frozenset(p.name for p in system.properties if p.lemma),
                    {p.name: p.doc for p in system.properties}, model_source(model.name))


# -- where traces go: --out, or stderr when it cannot be written ------------------------------

def _unwritable(path: str) -> str:
    """Why ``path`` cannot take files ('' when it can): tried, not guessed."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        probe = p / f".ppcheck-probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        return e.strerror or str(e)
    return ""


class TraceSink:
    """Engines write traces into ``engine_dir``: ``--out`` itself, or, when it cannot be
    written, a private folder whose traces are then printed on stderr as JSON (the verdict
    is never lost because a folder was wrong)."""

    def __init__(self, out_dir: str):
        self.requested = out_dir
        self.error = _unwritable(out_dir)
        self.tmp: str | None = None
        if self.error:
            click.echo(f"ppcheck: error: cannot write traces to {out_dir}: {self.error}; "
                       "each trace is printed on stderr as JSON instead", err=True)
            self.tmp = tempfile.mkdtemp(prefix="ppcheck-traces-")
        self.engine_dir = self.tmp or out_dir

    def after(self, entry: RunEntry) -> None:
        if self.tmp is None:
            return
        entry.write_error = f"cannot write traces to {self.requested}: {self.error}"
        for r in entry.run.results:
            if r.trace_file and r.trace_file.startswith(self.tmp):
                try:
                    obj = json.loads(Path(r.trace_file).read_text())
                    click.echo(json.dumps(obj, separators=(",", ":"), ensure_ascii=False), err=True)
                except OSError:
                    pass
                r.trace_file = None

    def close(self) -> None:
        if self.tmp is not None:
            import shutil

            shutil.rmtree(self.tmp, ignore_errors=True)


# -- printing runs -----------------------------------------------------------------------------

def _console() -> Any:
    from rich.console import Console

    con = Console(highlight=False, soft_wrap=True, file=sys.stdout)
    if not con.is_terminal:
        con.width = 200
    return con


_COLOURS = {"holds": "green", "reached": "green", "proved": "green", "violated": "red",
            "vacuous": "red", "unknown": "yellow", "holds-to-depth": "yellow"}


def _table(results: list[Any]) -> Any:
    from rich.table import Table

    t = Table(box=None, pad_edge=False, show_edge=False, padding=(0, 2))
    for col in ("property", "kind", "verdict", "steps", "trace / detail"):
        t.add_column(col)
    for r in results:
        c = _COLOURS.get(r.status, "white")
        t.add_row(r.name, r.kind, f"[{c}]{r.status}[/{c}]",
                  "" if r.trace_length is None else str(r.trace_length), r.trace_file or r.detail)
    return t


def _print_run(entry: RunEntry, console: Any) -> None:
    run = entry.run
    params = ", ".join(f"{k}={v}" for k, v in sorted(run.params.items()))
    status = "complete" if run.complete else f"INCOMPLETE ({run.reason})"
    src = f"  [dim](from {entry.source})[/dim]" if entry.source else ""
    console.print(
        f"[bold]{run.model}[/bold] / {run.config} ({params})  engine {run.engine}, "
        f"symmetry {'on' if run.symmetry else 'off'}, bound {run.bound or 'none'}{src}")
    counts = (f"{run.states:,} states, {run.transitions:,} transitions, " if not run.engine.startswith("z3")
              else "")
    if run.deadlocks:
        counts += f"{run.deadlocks:,} without successors, "
    console.print(
        f"  {counts}depth {run.depth}, {run.seconds:.2f}s, peak memory {run.peak_memory / 2**20:.0f} MiB, "
        f"{status}")
    if run.symmetry_note:
        console.print(f"  [yellow]{run.symmetry_note}[/yellow]")
    kernel = [r for r in run.results if r.name not in entry.lemmas]
    lemmas = [r for r in run.results if r.name in entry.lemmas]
    console.print(_table(kernel))
    if lemmas:
        console.print(f"  proof lemmas ({len(lemmas)}: strengthening invariants for the Z3 proofs, "
                      "not kernel properties)")
        console.print(_table(lemmas))
    first = shortest_violation(run, entry.lemmas)
    bad = [r for r in run.results if is_failure(r)]
    if first is not None and len(bad) > 1:
        what = f"{first.trace_length} steps" if first.trace_length is not None else first.status
        console.print(f"  [bold]read first:[/bold] {first.name} ({what}, the shortest of {len(bad)} "
                      f"failures)" + (f": ppcheck show {first.trace_file}" if first.trace_file else ""))
    if entry.write_error:
        console.print(f"  [red]{entry.write_error}[/red] (traces printed on stderr)")
    never = run.never_fired()
    if never:
        console.print(f"  [yellow]actions that never fired here:[/yellow] {', '.join(never)}")
    console.print()


# -- running a plan of (model, configuration) --------------------------------------------------

@dataclass
class Outputs:
    as_json: bool
    quiet: bool
    junit_file: str | None = None
    sarif_file: str | None = None


def _write_output(path: str, text: str, what: str) -> str:
    """Write a report file atomically; '' on success, else the one-line reason."""
    from ppcheck.checks.traces import write_atomic

    try:
        if Path(path).is_dir():
            return f"cannot write the {what} to {path}: it is a directory"
        write_atomic(path, text)
    except OSError as e:
        return f"cannot write the {what} to {path}: {e.strerror or e}"
    return ""


def _execute(command: str, plan: list[tuple[Any, Any]], runner: Callable[..., RunResult],
             out_dir: str, outs: Outputs, label: Callable[[Any, Any], str], jobs: int = 1,
             note: Callable[[str], None] | None = None) -> None:
    """Run ``runner(system, trace_dir, progress)`` over ``plan``, print each verdict as it
    ends, then the summary line, the CI reports and the exit code.  The first Ctrl-C stops
    the whole plan.  With ``jobs`` > 1 the runs go to a fork pool (``ppcheck/runpool.py``;
    ``runner`` then also takes ``note=``, whose lines ``note`` prints in plan order) and are
    reported in plan order: the same output."""
    from ppcheck.checks.progress import ProgressLine

    sink = TraceSink(out_dir)
    entries: list[RunEntry] = []
    ran: list[tuple[Any, RunResult]] = []
    interrupted = False
    con = _console()
    runs = _runs_pooled(plan, runner, jobs, sink.engine_dir) if jobs > 1 and len(plan) > 1 \
        else None
    try:
        with ProgressLine(len(plan), enabled=not outs.quiet) as prog:
            for m, cfg in plan:
                if INTERRUPTED.is_set():
                    interrupted = True
                    break
                try:
                    if runs is None:
                        from ppcheck.loading import build_system

                        system = build_system(m, cfg)
                        prog.start(label(m, cfg))
                        entry = _entry(runner(system, sink.engine_dir, prog), system, m)
                    else:
                        prog.start(label(m, cfg))
                        entry = _pooled_entry(next(runs), sink.engine_dir, note)
                except KeyboardInterrupt:
                    interrupted = True
                    break
                run = entry.run
                sink.after(entry)
                entries.append(entry)
                ran.append((m, run))
                if not outs.as_json:
                    _print_run(entry, con)
                if INTERRUPTED.is_set() or run.reason.startswith("interrupted"):
                    interrupted = True
                    break
    finally:
        if runs is not None:
            runs.close()
        sink.close()
    cov = None
    if command == "check" and not interrupted:
        from ppcheck.checks.coverage import coverage_verdicts

        cov = coverage_verdicts(ran)
    _finish_runs(command, entries, len(plan), interrupted, outs, bool(sink.error), cov)


class _NoProgress:
    """The progress line of a forked run: the parent shows which run it waits for."""

    def update(self, info: dict[str, Any]) -> None:
        pass


def _runs_pooled(plan: list[tuple[Any, Any]], runner: Callable[..., RunResult], jobs: int,
                 out_dir: str) -> Any:
    """The plan's runs in a fork pool: (outcome, private trace folder) in plan order."""
    from ppcheck.runpool import run_in_order

    _prewarm()

    def work(i: int, trace_dir: str, note: Callable[[str], None]) -> RunEntry:
        from ppcheck.loading import build_system

        m, cfg = plan[i]
        system = build_system(m, cfg)
        return _entry(runner(system, trace_dir, _NoProgress(), note=note), system, m)

    return run_in_order(len(plan), jobs, work)


def _prewarm() -> None:
    """What every forked run loads, loaded once before the fork (the workers share it):
    the engine modules and the native build's FFI and code digest."""
    import ppcheck.checks.liveness  # noqa: F401  (networkx)
    import ppcheck.checks.replay  # noqa: F401

    with contextlib.suppress(Exception):  # no cffi: the runs fall back, and say so, as always
        from ppcheck.checks.native import build, explorer  # noqa: F401

        build._ffi()
        build.code_digest()


def _pooled_entry(got: Any, out_dir: str, note: Callable[[str], None] | None) -> RunEntry:
    """A forked run's entry, its traces moved to ``out_dir``; its notes, its error or its
    Ctrl-C surface here, where the run stands in the plan."""
    from ppcheck.runpool import adopt_traces

    out, private = got
    for msg in out.notes:
        if note is not None:
            note(msg)
    if out.error is not None:
        raise out.error
    if out.interrupted:
        INTERRUPTED.set()
        raise KeyboardInterrupt
    entry: RunEntry = out.value
    adopt_traces(entry.run.results, private, out_dir)
    return entry


def _finish_runs(command: str, entries: list[RunEntry], planned: int, interrupted: bool,
                 outs: Outputs, write_failed: bool, coverage: list[Any] | None = None) -> None:
    summary = summarize(entries, planned, interrupted)
    failed = write_failed
    failed |= _ci_reports(entries, outs)
    code = exit_code_of(entries, interrupted, failed)
    extra: dict[str, Any] = {}
    if coverage is not None:
        uncovered = [c for c in coverage if c.failed]
        if not outs.as_json:
            for c in coverage:
                click.echo(c.text())
        if uncovered:
            code = EXIT_VIOLATION
            summary["text"] += "; coverage fails: " + ", ".join(
                f"{c.model} ({len(c.never_fired) + len(c.contradicted)} actions)" for c in uncovered)
        extra["coverage"] = [c.to_json() for c in coverage]
    if outs.as_json:
        click.echo(dumps(envelope(command, code, summary=summary,
                                  runs=[run_json(e) for e in entries], **extra)))
        if not outs.quiet:
            click.echo(summary["text"], err=True)
    else:
        click.echo(summary["text"])
    sys.exit(code)


def _ci_reports(entries: list[RunEntry], outs: Outputs) -> bool:
    """Write --junit / --sarif; True if one could not be written (one line each)."""
    failed = False
    if outs.junit_file:
        from ppcheck.checks.junit import junit_xml

        err = _write_output(outs.junit_file, junit_xml(entries), "JUnit report")
        if err:
            click.echo(f"ppcheck: error: {err}", err=True)
            failed = True
    if outs.sarif_file:
        from ppcheck.checks.sarif import sarif_log

        err = _write_output(outs.sarif_file, sarif_log(entries), "SARIF log")
        if err:
            click.echo(f"ppcheck: error: {err}", err=True)
            failed = True
    return failed


# -- the commands ------------------------------------------------------------------------------

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ppcheck")
def cli() -> None:
    """ppcheck: a model-checked specification of the Linux kernel's page_pool.

    MODEL is a registered name (`ppcheck list`), a file (path/to/patch.py or
    path/to/patch.py:Class) or module:Class.
    """


@cli.command("list")
@options("output")
def list_cmd(as_json: bool, quiet: bool) -> None:
    """List models, their configurations and properties."""
    from ppcheck.models import registry

    _begin("list", as_json, quiet)
    out = []
    for m in registry().values():
        props = [{"name": p.name, "kind": p.kind, "lemma": p.lemma} for p in m.property_defs()]
        out.append({"model": m.name, "default": bool(getattr(m, "default", False)),
                    "doc": (m.__doc__ or "").strip().splitlines()[0] if m.__doc__ else "",
                    "configs": {n: p for n, p in m.configs.items()},
                    "default_configs": list(m.default_configs), "properties": props,
                    "actions": [a.name for a in m.action_defs()]})
    if as_json:
        click.echo(dumps(envelope("list", EXIT_OK, summary={"text": f"{len(out)} models"},
                                  models=out)))
        return
    con = _console()
    for m in out:
        star = " (default)" if m["default"] else ""
        con.print(f"[bold]{m['model']}[/bold]{star}  {m['doc']}")
        for n, p in m["configs"].items():
            mark = "*" if n in m["default_configs"] else " "
            con.print(f"  {mark} config {n}: " + ", ".join(f"{k}={v}" for k, v in p.items()))
        kern = [p for p in m["properties"] if not p["lemma"]]
        lem = [p for p in m["properties"] if p["lemma"]]
        con.print("    properties: " + ", ".join(f"{p['name']} ({p['kind']})" for p in kern))
        if lem:
            con.print(f"    proof lemmas: {len(lem)} ({', '.join(p['name'] for p in lem[:4])}"
                      + (", ..." if len(lem) > 4 else "") + ")")
    con.print("\n* = checked by default")
    click.echo(f"{len(out)} models")


@cli.command("check")
@click.argument("models", nargs=-1, metavar="[MODEL]...")
@options("config", "budget", "engine", "traces", "output", "ci")
@click.option("--property", "props", multiple=True, help="Check only this property (repeatable).")
@click.option("--no-symmetry", is_flag=True, help="Disable symmetry reduction.")
@click.option("--engine", type=click.Choice(["explorer", "z3"]), default="explorer", show_default=True)
@click.option("--depth", type=click.IntRange(min=0), help="Depth bound for --engine z3 (BMC).")
@click.option("--first", is_flag=True, help="Stop at the first violation.")
@click.option("--backend", type=click.Choice(["native", "python"]),
              help="Explorer backend: the model compiled to C (default when a C compiler is found) "
                   "or the Python explorer.")
@click.option("--workers", type=click.IntRange(min=1),
              help="Threads of the native explorer's BFS per run (default: 1 when several runs share "
                   "the cores or the 1-minute load average is at or above the cores, else all cores; "
                   "every thread count gives the same states, traces and verdicts).")
@click.option("--jobs", type=click.IntRange(min=1),
              help="Runs checked at once, in forked processes, reported in order (default: one per "
                   "core for the native explorer when the 1-minute load average is below the cores, "
                   "else 1; the output is the same for every count).")
def check_cmd(models: tuple[str, ...], config: str | None, sets: tuple[str, ...], max_states: int | None,
              timeout: float | None, max_depth: int | None, out_dir: str, as_json: bool, quiet: bool,
              junit_file: str | None, sarif_file: str | None, props: tuple[str, ...], no_symmetry: bool,
              engine: str, depth: int | None, first: bool, backend: str | None, workers: int | None,
              jobs: int | None, **engine_opts: Any) -> None:
    """Check MODELs (default: the default models) in their configurations."""
    _begin("check", as_json, quiet)
    overrides = _parse_sets(sets)
    plan = [(m, c) for m in _models(models) for c in _configs(m, config, overrides)]
    noted: set[str] = set()
    par = _parallelism(len(plan), engine, backend, workers, jobs)

    def note_once(msg: str) -> None:
        if msg not in noted:
            noted.add(msg)
            _note(msg)

    def runner(system: Any, trace_dir: str, prog: Any, note: Callable[[str], None] | None = None
               ) -> RunResult:
        from ppcheck.checks.options import EngineOptions, run_engine

        z3 = engine == "z3"
        opts = EngineOptions(properties=list(props) or None, timeout=timeout, max_states=max_states,
                             depth=(depth if depth is not None else max_depth) if z3 else max_depth,
                             out_dir=trace_dir, symmetry=not no_symmetry, stop_at_first=first,
                             progress=prog.update, backend=backend, workers=par.workers,
                             note=note or note_once, extra=dict(engine_opts))
        return run_engine(system, "bmc" if z3 else "explorer", opts)

    _execute("check", plan, runner, out_dir, Outputs(as_json, quiet, junit_file, sarif_file),
             lambda m, c: f"check {m.name}/{c.name} ({engine})", jobs=par.jobs, note=note_once)


def _parallelism(nruns: int, engine: str, backend: str | None, workers: int | None,
                 jobs: int | None) -> Any:
    """``--jobs``/``--workers`` (``ppcheck/runpool.py``): several runs at once only for the
    native explorer (the Python explorer and Z3 run one at a time unless ``--jobs`` says)."""
    from ppcheck.runpool import Parallelism, parallelism

    if jobs is None and (engine != "explorer" or backend == "python"):
        return Parallelism(1, workers or 0, "one run at a time")
    return parallelism(nruns, workers, jobs)


@cli.command("prove")
@click.argument("models", nargs=-1, metavar="[MODEL]...")
@options("config", "traces", "output", "ci")
@click.option("--engine", type=click.Choice(["bmc", "kind", "chc"]), default="kind", show_default=True)
@click.option("--depth", type=click.IntRange(min=0), help="Depth bound (BMC) or maximum k (k-induction).")
@click.option("--max-depth", type=click.IntRange(min=0), help="The same as --depth.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Time budget (s) per run.")
@click.option("--property", "props", multiple=True, help="Prove only this property (repeatable).")
@click.option("--witnesses", is_flag=True,
              help="With kind/chc, also search the witnesses (sometimes) and progress properties.")
def prove_cmd(models: tuple[str, ...], config: str | None, sets: tuple[str, ...], out_dir: str,
              as_json: bool, quiet: bool, junit_file: str | None, sarif_file: str | None, engine: str,
              depth: int | None, max_depth: int | None, timeout: float | None, props: tuple[str, ...],
              witnesses: bool) -> None:
    """Prove MODELs' invariants with Z3 (BMC, k-induction or CHC/Spacer).

    k-induction and CHC prove safety (always and transition properties and the action
    assertions); witnesses are reachability questions that `ppcheck check` (or --engine
    bmc) answers, so they are left out unless --witnesses is given.
    """
    from ppcheck.checks.options import EngineOptions, run_engine
    from ppcheck.checks.verdict import ACTION_ASSERTIONS
    from ppcheck.spec.model import ALWAYS, TRANSITION

    _begin("prove", as_json, quiet)
    overrides = _parse_sets(sets)
    plan = [(m, c) for m in _models(models) for c in _configs(m, config, overrides)]
    bound = depth if depth is not None else max_depth

    def runner(system: Any, trace_dir: str, prog: Any) -> RunResult:
        only = list(props) or None
        if only is None and engine != "bmc" and not witnesses:
            only = [ACTION_ASSERTIONS] + [p.name for p in system.properties
                                          if p.kind in (ALWAYS, TRANSITION)]
        return run_engine(system, engine, EngineOptions(properties=only, timeout=timeout, depth=bound,
                                                        out_dir=trace_dir))

    _execute("prove", plan, runner, out_dir, Outputs(as_json, quiet, junit_file, sarif_file),
             lambda m, c: f"prove {m.name}/{c.name} (z3-{engine})")


@cli.command("simulate")
@click.argument("model", metavar="MODEL")
@options("config", "traces", "output", "ci")
@click.option("--walks", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--steps", type=click.IntRange(min=1), default=200, show_default=True, help="Steps per walk.")
@click.option("--max-depth", type=click.IntRange(min=1), help="The same as --steps.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Time budget (s).")
def simulate_cmd(model: str, config: str | None, sets: tuple[str, ...], out_dir: str, as_json: bool,
                 quiet: bool, junit_file: str | None, sarif_file: str | None, walks: int, steps: int,
                 max_depth: int | None, seed: int, timeout: float | None) -> None:
    """Random walks through MODEL: finds bugs in spaces too big to explore, proves nothing."""
    from ppcheck.checks.simulate import simulate

    _begin("simulate", as_json, quiet)
    m = _model(model)
    cfg = _configs(m, config or m.default_configs[0], _parse_sets(sets))[0]

    def runner(system: Any, trace_dir: str, prog: Any) -> RunResult:
        try:
            return simulate(system, walks=walks, steps=max_depth or steps, seed=seed, timeout=timeout,
                            out_dir=trace_dir)
        except KeyboardInterrupt:
            INTERRUPTED.set()
            raise

    _execute("simulate", [(m, cfg)], runner, out_dir, Outputs(as_json, quiet, junit_file, sarif_file),
             lambda m, c: f"simulate {m.name}/{c.name}")


@cli.command("diff")
@click.argument("model_a", metavar="BASE")
@click.argument("model_b", metavar="NEW")
@options("config", "traces", "output", "ci")
@click.option("--max-states", type=click.IntRange(min=1), help="State budget per model.")
@click.option("--even-if-base-fails", "anyway", is_flag=True,
              help="Go on comparing when BASE already fails in the configuration (exit 1 all the same).")
def diff_cmd(model_a: str, model_b: str, config: str | None, sets: tuple[str, ...], out_dir: str,
             as_json: bool, quiet: bool, junit_file: str | None, sarif_file: str | None,
             max_states: int | None, anyway: bool) -> None:
    """Compare two models on one configuration: verdicts, behaviours, coverage.

    Exit 1 when NEW has a violation BASE lacks, or when BASE already fails in the chosen
    configuration: that is said first, and the diff stops there (a comparison with a
    failing base cannot say whether NEW fixes, keeps or hides the failure) unless
    --even-if-base-fails.
    """
    from ppcheck.checks.diff import BaseFails, diff, render_text
    from ppcheck.checks.progress import ProgressLine

    _begin("diff", as_json, quiet)
    a, b = _model(model_a), _model(model_b)
    overrides = _parse_sets(sets)
    name = config or a.default_configs[0]
    _configs(a, name, overrides)
    overrides = _typed(a, name, overrides)
    sink = TraceSink(out_dir)

    def on_base(run: RunResult) -> None:
        from ppcheck.checks.diff import base_failures

        bad = base_failures(run)
        if bad and anyway:
            _note(f"the base {run.model} already fails in configuration {run.config} "
                  f"({_names(bad)}); going on (--even-if-base-fails), exit 1")

    try:
        with ProgressLine(1, enabled=not quiet) as prog:
            d = diff(a, b, config, overrides, max_states, sink.engine_dir, progress=prog,
                     on_base=on_base, stop_if_base_fails=not anyway)
    except BaseFails as e:
        sink.close()
        _base_fails(e, a, b, as_json)
    except KeyboardInterrupt:
        sink.close()
        summary = {"text": "diff interrupted (Ctrl-C) before it finished", "interrupted": True}
        if as_json:
            click.echo(dumps(envelope("diff", EXIT_INCOMPLETE, summary=summary, diff=None)))
        click.echo(summary["text"], err=as_json)
        sys.exit(EXIT_INCOMPLETE)
    if sink.tmp is not None:
        for n in d.new_violations + d.base_failures:
            f = n.get("trace_file")
            if f and f.startswith(sink.tmp):
                click.echo(Path(f).read_text().replace("\n", ""), err=True)
                n["trace_file"] = None
    sink.close()
    code = d.exit_code
    if sink.error and code == EXIT_OK:
        code = EXIT_USAGE
    entries = _diff_entries(d, a, b)
    if _ci_reports(entries, Outputs(as_json, quiet, junit_file, sarif_file)) and code == EXIT_OK:
        code = EXIT_USAGE
    text = _diff_summary(d)
    if as_json:
        click.echo(dumps(envelope("diff", code, summary={"text": text, "base_fails": d.base_fails,
                                                         "new_violations": len(d.new_violations),
                                                         "complete": d.complete},
                                  diff=d.to_json())))
        if not quiet:
            click.echo(text, err=True)
    else:
        click.echo(render_text(d), nl=False)
        click.echo(text)
    sys.exit(code)


def _names(failures: list[dict[str, Any]], keep: int = 2) -> str:
    names = [f["property"] for f in failures]
    return ", ".join(names[:keep]) + (f" +{len(names) - keep} more" if len(names) > keep else "")


def _base_fails(e: Any, a: Any, b: Any, as_json: bool) -> None:
    """The diff's own answer when the base already fails: what, where, and what to do."""
    run = e.run
    params = ", ".join(f"{k}={v}" for k, v in sorted(run.params.items()) if k != "contexts")
    text = (f"diff {a.name} -> {b.name} / {run.config}: the base {a.name} already fails here "
            f"({_names(e.failures)}): not compared")
    if as_json:
        click.echo(dumps(envelope("diff", EXIT_VIOLATION,
                                  summary={"text": text, "base_fails": True, "complete": False},
                                  diff=None, base_failures=e.failures)))
        click.echo(text, err=True)
        sys.exit(EXIT_VIOLATION)
    click.echo(f"BASE ALREADY FAILS: {a.name} violates, in configuration {run.config} ({params}):")
    for f in e.failures:
        what = f"{f['length']} steps" if f.get("length") is not None else f["status"]
        click.echo(f"  {f['property']} ({what})" + (f": {f['trace_file']}" if f.get("trace_file") else ""))
    click.echo(f"A diff against a failing base cannot say whether {b.name} fixes, keeps or hides these.")
    click.echo(f"Choose a configuration where {a.name} holds (`ppcheck check {a.name}`), or pass "
               "--even-if-base-fails.")
    click.echo(text)
    sys.exit(EXIT_VIOLATION)


def _diff_summary(d: Any) -> str:
    base = f"base {d.model_a} already fails ({_names(d.base_failures, 1)}); " if d.base_fails else ""
    n = len(d.new_violations)
    new = f"{n} new violation{'s' if n != 1 else ''}" + (
        f" ({d.new_violations[0]['property']}, {d.new_violations[0].get('length')} steps)" if n else "")
    beh = "behaviours equal" if d.behaviours_equal else "behaviours differ"
    done = "complete" if d.complete else "incomplete"
    return f"diff {d.model_a} -> {d.model_b} / {d.config}: {base}{new}; {beh}; {done}"


def _diff_entries(d: Any, a: Any, b: Any) -> list[RunEntry]:
    """The diff as two runs' worth of verdicts, for JUnit/SARIF (B's properties; A's failures)."""
    from ppcheck.checks.verdict import PropertyResult

    out = []
    for tag in ("a", "b"):
        r = d.runs[tag]
        run = RunResult(model=r["model"], config=d.config, engine="explorer (diff)",
                        complete=r["complete"], reason=r["reason"], states=r["states"],
                        transitions=r["transitions"], depth=r["depth"],
                        seconds=r.get("seconds", 0.0), fingerprint=r["fingerprint"],
                        params=d.params_a if tag == "a" else d.params_b)
        failures = d.base_failures if tag == "a" else d.new_violations
        for f in failures:
            run.results.append(PropertyResult(f["property"], "always", f["status"], f.get("detail", ""),
                                              f.get("trace_file"), f.get("length")))
        out.append(RunEntry(run, source=None))
    return out


@cli.command("kernel")
@click.option("--tree", "tree_path", required=True, metavar="PATH",
              help="A kernel source tree or a Debian linux-source-X.Y.tar.xz.")
@options("budget", "traces", "output", "ci")
@click.option("--mode", type=click.Choice(["exhaustive", "random"]), default="exhaustive", show_default=True,
              help="Every schedule of each scenario, or --runs random ones.")
@click.option("--runs", type=click.IntRange(min=1), default=200, show_default=True,
              help="Random schedules per scenario (--mode random).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--scenario", "only", multiple=True, help="Run only this scenario (repeatable).")
@click.option("--findings", is_flag=True,
              help="Run the findings scenarios (outside the kernel's contract; docs/kernel.md).")
@click.option("--bug", "bug", metavar="NAME", help="Build with the seeded bug NAME (ppcheck.kernel.bugs).")
@click.option("--no-spec", is_flag=True, help="Do not evaluate the mainline spec's invariants.")
def kernel_cmd(tree_path: str, max_states: int | None, timeout: float | None, max_depth: int | None,
               out_dir: str, as_json: bool, quiet: bool, junit_file: str | None, sarif_file: str | None,
               mode: str, runs: int, seed: int, only: tuple[str, ...], findings: bool, bug: str | None,
               no_spec: bool) -> None:
    """Build the tree's unmodified net/core/page_pool.c against ppcheck's shim and run the
    conformance suite on it (docs/kernel.md): every scenario's schedules, each step checked."""
    from ppcheck.kernel import bugs as kbugs
    from ppcheck.kernel.build import build
    from ppcheck.kernel.scenarios import FINDINGS, SCENARIOS
    from ppcheck.kernel.suite import run_suite, scenarios_for
    from ppcheck.kernel.tree import TreeError, open_tree

    _begin("kernel", as_json, quiet)
    names = {s.name for s in (*SCENARIOS, *FINDINGS)}
    for n in only:
        if n not in names:
            _fail(f"unknown scenario {n!r} (known: {', '.join(sorted(names))})")
    patch, tag = None, ""
    try:
        tree = open_tree(tree_path)
        if bug:
            b = kbugs.by_name(bug)
            if b is None:
                _fail(f"unknown seeded bug {bug!r} (known: {', '.join(kbugs.names())})")
            patch, tag = kbugs.patch_for(b, tree), f"+{bug}"
        base = build(tree)
    except TreeError as e:
        _fail(str(e))
    if not scenarios_for(tree, findings, only):
        _fail(f"no scenario applies to {tree.name} with these options")
    _note(f"{tree_path}: linux {tree.name}, page_pool.c built "
          + ("(cached)" if base.cached else f"in {base.seconds:.1f}s") + f" -> {base.lib}")
    con = _console()
    entries: list[RunEntry] = []

    def shown(run: RunResult) -> None:
        e = RunEntry(run, source=tree_path)
        entries.append(e)
        if not as_json:
            _print_run(e, con)

    spec_for = None
    if not no_spec:
        from ppcheck.kernel.spec_map import spec_hook_for

        spec_for = lambda sc: spec_hook_for(sc, tree)  # noqa: E731
    sink = TraceSink(out_dir)
    try:
        run_suite(tree, sink.engine_dir, mode=mode, max_states=max_states or 20000, runs=runs, seed=seed,
                  timeout=timeout, findings=findings, only=only, patch=patch, tag=tag, spec_for=spec_for,
                  on_run=shown)
    except TreeError as e:
        _fail(str(e))
    except KeyboardInterrupt:
        sink.close()
        _finish_runs("kernel", entries, len(entries), True, Outputs(as_json, quiet, junit_file, sarif_file),
                     False)
    for e in entries:
        sink.after(e)
    sink.close()
    _finish_runs("kernel", entries, len(entries), False, Outputs(as_json, quiet, junit_file, sarif_file),
                 bool(sink.error))


@cli.command("show")
@click.argument("trace_file", metavar="TRACE")
@options("file", "output")
@click.option("--full", is_flag=True, help="Print the full state at every step.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "mermaid", "html"]), default="text",
              show_default=True)
@click.option("--model", "model_ref", metavar="MODEL", help="The trace's model (default: as recorded).")
def show_cmd(trace_file: str, out_file: str | None, as_json: bool, quiet: bool, full: bool, fmt: str,
             model_ref: str | None) -> None:
    """Render a trace as a story: lanes per context and per page, what each step changed,
    and why the last state breaks the property."""
    from ppcheck.checks import render
    from ppcheck.checks.story import build_story

    _begin("show", as_json, quiet)
    tr = _load_trace(trace_file)
    story = build_story(tr, model=_model(model_ref) if model_ref else None)
    if story.note:
        _note(story.note)
    text = {"text": lambda: render.render_text(tr, full=full, story=story),
            "json": lambda: render.render_json(tr),
            "mermaid": lambda: render.render_mermaid(tr, story=story),
            "html": lambda: render.render_html(tr, story=story)}[fmt]()
    _emit_text("show", text, out_file, as_json, {"trace": tr.to_json(), "story": story.to_json(),
                                                 "rendering": fmt})


def _emit_text(command: str, text: str, out_file: str | None, as_json: bool,
               payload: dict[str, Any]) -> None:
    """Print ``text`` (or write it to --out); under --json, the envelope instead."""
    if out_file:
        err = _write_output(out_file, text, "output")
        if err:
            _fail(err)
    if as_json:
        payload = dict(payload)
        if out_file:
            payload["file"] = out_file
        else:
            payload["text"] = text
        click.echo(dumps(envelope(command, EXIT_OK, summary={"text": f"{command}: ok"}, **payload)))
    elif not out_file:
        click.echo(text, nl=False)
    else:
        _note(f"wrote {out_file}")


def _load_trace(path: str) -> Any:
    from ppcheck.checks.traces import load_trace

    return load_trace(path)


@cli.command("explain")
@click.argument("trace_file", metavar="TRACE")
@options("file", "output")
@click.option("--model", "model_ref", metavar="MODEL", help="The trace's model (default: as recorded).")
def explain_cmd(trace_file: str, out_file: str | None, as_json: bool, quiet: bool,
                model_ref: str | None) -> None:
    """Tell a trace's story in Markdown, from the trace and the actions' docstrings."""
    from ppcheck.checks.explain import explain
    from ppcheck.checks.story import build_story

    _begin("explain", as_json, quiet)
    tr = _load_trace(trace_file)
    story = build_story(tr, model=_model(model_ref) if model_ref else None)
    if story.note:
        _note(story.note)
    _emit_text("explain", explain(tr, story), out_file, as_json, {"story": story.to_json()})


@cli.command("replay")
@click.argument("trace_files", nargs=-1, required=True, metavar="TRACE...")
@options("output")
@click.option("--impl", is_flag=True,
              help="Run the trace on the executable implementation instead of the model.")
@click.option("--model", "model_ref", metavar="MODEL",
              help="Replay on this model instead of the one the trace names.")
@click.option("--kernel", "kernel_tree", metavar="PATH",
              help="Run kernel traces (ppcheck kernel's) on this tree's compiled page_pool.c.")
@click.option("--bug", "kernel_bug", metavar="NAME", help="With --kernel: build with a seeded bug.")
def replay_cmd(trace_files: tuple[str, ...], as_json: bool, quiet: bool, impl: bool,
               model_ref: str | None, kernel_tree: str | None, kernel_bug: str | None) -> None:
    """Re-execute traces against their models, verifying every recorded state.

    Exit 0 when every trace replays, 1 when one does not (stale, not enabled, a state
    that differs, a claim not shown), 2 when a file is not a readable trace or its model
    cannot be found.
    """
    from ppcheck.checks.replay import replay, system_for
    from ppcheck.checks.traces import TraceError
    from ppcheck.loading import ModelLoadError

    _begin("replay", as_json, quiet)
    if kernel_tree:
        _replay_kernel(trace_files, kernel_tree, kernel_bug, as_json)
    if kernel_bug:
        _fail("--bug needs --kernel PATH")
    override = _model(model_ref) if model_ref else None
    worst = 0
    results = []

    def bad(f: str, code: int, msg: str) -> None:
        nonlocal worst
        worst = max(worst, code)
        results.append({"file": f, "replays": False, "exit_code": code, "error": msg})

    for f in trace_files:
        try:
            tr = _load_trace(f)
        except TraceError as e:  # malformed: bad input, but go on with the others
            click.echo(f"ppcheck: error: {e}", err=True)
            bad(f, EXIT_USAGE, str(e))
            continue
        try:
            if impl:
                try:
                    from ppcheck.impl.replay import replay_on_impl
                except ImportError:
                    _fail("the executable implementation's replay (ppcheck.impl.replay) is not installed")
                ok, text = replay_on_impl(tr)
                if not as_json:
                    click.echo(f"{f}: {text}")
                worst = max(worst, 0 if ok else 1)
                results.append({"file": f, "replays": ok, "exit_code": 0 if ok else 1, "claim": text})
                continue
            system = system_for(tr, override)
            res = replay(tr, system)
            line = f"{f}: replays: {res.steps} steps on {tr.model}/{tr.config.get('name')}; {res.claim}"
            if not as_json:
                click.echo(line)
            results.append({"file": f, "replays": True, "exit_code": 0, "steps": res.steps,
                            "model": tr.model, "config": tr.config.get("name"), "claim": res.claim})
        except ModelLoadError as e:
            click.echo(f"ppcheck: error: {f}: {e}", err=True)
            bad(f, EXIT_USAGE, str(e))
        except (TraceError, SpecError) as e:
            click.echo(f"{f}: does not replay: {e}", err=True)
            bad(f, EXIT_VIOLATION, str(e))
    _replay_exit(results, worst, as_json, "replay")


def _replay_exit(results: list[dict[str, Any]], worst: int, as_json: bool, verb: str) -> None:
    """The end of ``replay``: the summary line (or the JSON envelope) and the worst exit code."""
    ok = sum(r["replays"] for r in results)
    text = f"{len(results)} traces: {ok} {verb}, {len(results) - ok} do not"
    if as_json:
        click.echo(dumps(envelope("replay", worst, summary={"text": text}, replays=results)))
    elif len(results) > 1:
        click.echo(text)
    sys.exit(worst)


def _replay_kernel(trace_files: tuple[str, ...], tree_path: str, bug: str | None, as_json: bool) -> None:
    """``replay --kernel``: each kernel trace's schedule re-run on the tree (exit 0 when every
    one reproduces, 1 when one does not, 2 for a file that is not a kernel trace)."""
    from ppcheck.kernel import bugs as kbugs
    from ppcheck.kernel.spec_replay import is_spec_trace
    from ppcheck.kernel.suite import KernelTraceError, load_kernel_trace, replay_on_kernel
    from ppcheck.kernel.tree import TreeError, open_tree

    try:
        tree = open_tree(tree_path)
        patch = None
        if bug:
            b = kbugs.by_name(bug)
            if b is None:
                _fail(f"unknown seeded bug {bug!r} (known: {', '.join(kbugs.names())})")
            patch = kbugs.patch_for(b, tree)
    except TreeError as e:
        _fail(str(e))
    worst, results = 0, []
    for f in trace_files:
        try:
            if is_spec_trace(f):  # a model's trace, translated step for step (kernel/spec_replay.py)
                ok, text, code = _replay_spec_on_kernel(tree, f, patch)
                worst = max(worst, code)
                results.append({"file": f, "replays": ok, "exit_code": code, "claim": text,
                                "tree": tree.name})
                if not as_json:
                    click.echo(f"{f}: {text}", err=code == EXIT_USAGE)
                continue
            ok, text = replay_on_kernel(tree, load_kernel_trace(f), patch)
        except KernelTraceError as e:
            click.echo(f"ppcheck: error: {e}", err=True)
            worst = max(worst, EXIT_USAGE)
            results.append({"file": f, "replays": False, "exit_code": EXIT_USAGE, "error": str(e)})
            continue
        except TreeError as e:
            _fail(str(e))
        code = EXIT_OK if ok else EXIT_VIOLATION
        worst = max(worst, code)
        results.append({"file": f, "replays": ok, "exit_code": code, "claim": text, "tree": tree.name})
        if not as_json:
            click.echo(f"{f}: {text}")
    _replay_exit(results, worst, as_json, f"reproduce on linux {tree.name}")


def _replay_spec_on_kernel(tree: Any, path: str, patch: str | None) -> tuple[bool, str, int]:
    """One spec trace on a kernel tree: (reproduced, the line to print, exit code). Exit 0
    reproduced, 1 diverged or not reproduced, 2 a trace no tree of this version has the code of
    (or an unreadable one)."""
    from ppcheck.checks.traces import TraceError
    from ppcheck.kernel.spec_replay import SpecReplayError, replay_spec_trace
    from ppcheck.loading import ModelLoadError

    try:
        out = replay_spec_trace(tree, path, patch)
    except (TraceError, SpecReplayError, ModelLoadError) as e:
        return False, f"not a replayable spec trace: {e}", EXIT_USAGE
    text = f"{out.verdict} on linux {tree.name}: {out.detail}"
    if out.verdict == "reproduced":
        return True, text, EXIT_OK
    return False, text, EXIT_USAGE if out.verdict == "not applicable" else EXIT_VIOLATION


@cli.command("export")
@click.argument("model", metavar="MODEL")
@options("config", "file", "output")
@click.option("--format", "fmt", type=click.Choice(["promela", "murphi"]), default="promela",
              show_default=True, help="promela (SPIN) or murphi (Rumur, CMurphi).")
def export_cmd(model: str, config: str | None, sets: tuple[str, ...], out_file: str | None, as_json: bool,
               quiet: bool, fmt: str) -> None:
    """Print MODEL in another tool's language (Promela for SPIN, Murphi for Rumur), from the same IR."""
    from ppcheck.checks.murphi import to_murphi
    from ppcheck.checks.promela import to_promela
    from ppcheck.loading import build_system

    _begin("export", as_json, quiet)
    m = _model(model)
    cfg = _configs(m, config or m.default_configs[0], _parse_sets(sets))[0]
    text = {"promela": to_promela, "murphi": to_murphi}[fmt](build_system(m, cfg))
    _emit_text("export", text, out_file, as_json, {"model": m.name, "config": cfg.name, "language": fmt})


@cli.command("new")
@click.argument("name")
@click.option("--from", "parent", default="mainline", show_default=True, metavar="MODEL",
              help="The model the variant starts from.")
@options("file", "output")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new_cmd(name: str, parent: str, out_file: str | None, as_json: bool, quiet: bool, force: bool) -> None:
    """Write a starting variant file NAME.py (a subclass of --from) with the project's layout."""
    from ppcheck.scaffold import variant_source

    _begin("new", as_json, quiet)
    if not name.isidentifier() or not name.isascii():
        _fail(f"model name {name!r} must be a Python identifier (letters, digits, _)")
    base = _model(parent)
    path = out_file or f"{name}.py"
    if Path(path).exists() and not force:
        _fail(f"{path} exists (use --force to overwrite)")
    err = _write_output(path, variant_source(name, base), "variant file")
    if err:
        _fail(err)
    text = f"wrote {path}: model {name} (from {base.name}); next: ppcheck check {path}"
    if as_json:
        click.echo(dumps(envelope("new", EXIT_OK, summary={"text": text}, file=path, model=name,
                                  parent=base.name)))
    else:
        click.echo(text)


@cli.command("mutate")
@click.argument("model", metavar="MODEL")
@options("config", "output")
@click.option("--budget", type=click.FloatRange(min=0, min_open=True), default=120.0, show_default=True,
              help="Time budget (s) per mutant over all configurations (incomplete when spent).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Mutants run in parallel (a fork pool).")
@click.option("--sample", type=click.IntRange(min=1), help="Run only N mutants, drawn with --seed.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--min-score", type=click.FloatRange(0, 1),
              help="Exit 1 when fewer than this share of non-equivalent mutants is killed.")
@click.option("--markdown", "md_file", metavar="FILE", help="Write the kill table as Markdown.")
@click.option("--record", "record_name", metavar="NAME",
              help="Record this run's score as entry NAME of the model in mutation_scores.json "
                   "(what tests/test_mutate.py re-runs with --min-score).")
@click.option("--log", "log_file", metavar="FILE",
              help="Append each mutant's verdict to FILE as a JSON line as soon as it is known; "
                   "verdicts already in FILE for the same model IR are reused (resume).")
@click.option("--backend", type=click.Choice(["native", "python"]),
              help="native: every mutant of a configuration in one C build (mutant schemata; "
                   "the default when a C compiler is found); python: the Python explorer.")
def mutate_cmd(model: str, config: str | None, sets: tuple[str, ...], as_json: bool, quiet: bool,
               budget: float, jobs: int, sample: int | None, seed: int, min_score: float | None,
               md_file: str | None, record_name: str | None, log_file: str | None,
               backend: str | None) -> None:
    """Plant one bug at a time in MODEL's actions and report which the properties catch.

    Operators: drop a require() conjunct, drop an update, negate a comparison, move a
    constant to a neighbour, split an atomic read-modify-write in two steps, swap two steps
    of a multi-step function.  Every mutant runs in every default configuration (or
    --config); exit 1 when the score is below --min-score, 3 when a mutant's budget ran
    out or Ctrl-C stopped the run, 1 when the unmutated model already fails.
    """
    import random
    import time as _time

    from ppcheck.checks import mutate as mt
    from ppcheck.checks import mutate_report as mr

    _begin("mutate", as_json, quiet)
    t0 = _time.perf_counter()
    if backend is None:
        from ppcheck.checks.native import unavailable

        why = unavailable()
        backend = "python" if why else "native"
        if why:
            _note(f"native backend unavailable ({why}); using the python explorer")
    m = _model(model)
    cfgs = _configs(m, config, _parse_sets(sets))
    log = None
    logged: dict[str, Any] = {}
    if log_file:
        if Path(log_file).is_dir():
            _fail(f"cannot write the log to {log_file}: it is a directory")
        with contextlib.suppress(OSError):
            for line in Path(log_file).read_text(encoding="utf-8").splitlines():
                with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
                    d = json.loads(line)
                    logged[f"{','.join(sorted(d['probe'].split(',')))}|{d['id']}"] = d
        try:
            log = open(log_file, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as e:
            _fail(f"cannot write the log to {log_file}: {e.strerror or e}")
    try:
        _note(f"probing {m.name} in {', '.join(c.name for c in cfgs)} (the original must pass)")
        try:
            pr = mt.probe(m, cfgs, backend=backend)
        except mt.OriginalFails as e:
            text = f"mutate {m.name}: {e}"
            if as_json:
                click.echo(dumps(envelope("mutate", EXIT_VIOLATION, summary={"text": text},
                                          error=str(e))))
            click.echo(text, err=as_json)
            sys.exit(EXIT_VIOLATION)
        except KeyboardInterrupt:
            click.echo("ppcheck: interrupted (Ctrl-C) while probing the original", err=True)
            sys.exit(EXIT_INCOMPLETE)
        muts = list(enumerate(mt.plan(pr)))
        planned = len(muts)
        if sample is not None and sample < len(muts):
            muts = sorted(random.Random(seed).sample(muts, sample), key=lambda x: x[0])
        key = mt.probe_key(pr)
        reused = [mt.MutantResult.from_json(logged[f"{key}|{mm.id}"]) for _, mm in muts
                  if f"{key}|{mm.id}" in logged]
        todo = [(i, mm) for i, mm in muts if f"{key}|{mm.id}" not in logged]
        _note(f"{planned} mutants planned, running {len(todo)} (budget {budget:g}s each, {jobs} jobs)"
              + (f"; {len(reused)} verdicts reused from {log_file}" if reused else ""))

        def progress(r: Any, done: int, n: int) -> None:
            if log is not None:
                log.write(json.dumps(dict(r.to_json(), probe=key), sort_keys=True) + "\n")
                log.flush()
            if not quiet and not as_json:
                click.echo(f"  [{done}/{n}] {r.status:<15} {r.id}"
                           + (f" ({r.property})" if r.property else ""), err=True)

        if backend == "native":
            from ppcheck.checks import mutate_native as mn

            results, interrupted = mn.run_all(pr, todo, budget, jobs, progress, _note)
        else:
            results, interrupted = mt.run_all(pr, todo, budget, jobs, progress)
        results = sorted(results + reused, key=lambda r: r.index)
    finally:
        if log is not None:
            log.close()
    names = [b.config.name for b in sorted(pr.bases, key=lambda b: [c.name for c in cfgs].index(
        b.config.name))]
    summ = mr.summary(m.name, results, len(muts), interrupted)
    summ["generated"] = planned
    code = EXIT_OK
    if min_score is not None and (summ["score"] is None or summ["score"] < min_score):
        code = EXIT_VIOLATION
        summ["text"] += f" (below --min-score {min_score:g})"
    elif interrupted or summ[mt.INCOMPLETE]:
        code = EXIT_INCOMPLETE
    if record_name and not interrupted:
        argv = ([f"--config={config}"] if config else []) + [f"--set={x}" for x in sets] + (
            ["--sample", str(sample), "--seed", str(seed)] if sample else []) + ["--budget", f"{budget:g}"]
        err = mr.record_score(Path("mutation_scores.json"), m.name, record_name, argv, names,
                              mt.probe_key(pr), summ, results)
        if err:
            click.echo(f"ppcheck: error: {err}", err=True)
            if code == EXIT_OK:
                code = EXIT_USAGE
    if md_file:
        err = _write_output(md_file, mr.markdown(m.name, names, results), "kill table")
        if err:
            click.echo(f"ppcheck: error: {err}", err=True)
            if code == EXIT_OK:
                code = EXIT_USAGE
    if as_json:
        click.echo(dumps(envelope("mutate", code, summary=summ, model=m.name, configs=names,
                                  mutants=[r.to_json() for r in results],
                                  timing={"seconds": round(_time.perf_counter() - t0, 3),
                                          "probe_seconds": round(pr.seconds, 3)})))
        if not quiet:
            click.echo(summ["text"], err=True)
    else:
        click.echo(mr.text(m.name, names, results), nl=False)
        click.echo(summ["text"])
    sys.exit(code)


@cli.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of every command's --json output."""
    from ppcheck.checks.report import schema_text

    _begin("schema")
    click.echo(schema_text(), nl=False)


@cli.command("manifest")
@click.argument("models", nargs=-1, metavar="[MODEL]...")
@options("output")
@click.option("--update", is_flag=True,
              help="Re-record the stale and missing entries (those of the named models: all of them).")
@click.option("--all", "everything", is_flag=True, help="With --update: re-record every entry.")
@click.option("--file", "path", default="manifest.json", show_default=True)
@click.option("--max-seconds", type=click.FloatRange(min=0), default=None,
              help="Skip entries whose recorded run took longer (checking only).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Record or check this many entries at once, each in its own process.")
def manifest_cmd(models: tuple[str, ...], as_json: bool, quiet: bool, update: bool, everything: bool,
                 path: str, max_seconds: float | None, jobs: int) -> None:
    """Check (or --update) the expectations manifest: counts, verdicts, bug traces, diffs."""
    from ppcheck.checks import manifest

    _begin("manifest", as_json, quiet)
    p = Path(path)
    if p.is_dir():
        _fail(f"{p}: is a directory, not a manifest file")
    try:
        data = manifest.load(p)
    except (ValueError, KeyError, TypeError, AttributeError, json.JSONDecodeError) as e:
        _fail(f"{p}: malformed manifest ({e})")
    except OSError as e:
        _fail(f"{p}: cannot read the manifest: {e.strerror or e}")
    root = p.resolve().parent
    known = manifest.models_by_name(root)
    named: list[Any] = []
    for r in models:  # a registered name, a seeded bug of the manifest, or a file / module
        named += [known[r]] if r in known else _models((r,))
    for m in named:
        known.setdefault(m.name, m)
    scope = [m for m in known.values() if manifest.in_scope(m)]
    elsewhere = {name for e in manifest.plan([], root) for name in e.models}  # seeds, diffs, bugs
    scope += [m for m in named if m not in scope and m.name not in elsewhere]
    planned = manifest.plan(scope, root)
    chosen = [e for e in planned if not named or e.models & {m.name for m in named}]
    now = manifest.current_fingerprints((u for e in chosen for u in e.uses), known.get)
    stale = {e.key for e in manifest.stale(data, chosen, now)}
    if update:
        todo = chosen if (everything or named) else [e for e in chosen if e.key in stale]
    else:
        todo = chosen
    bad = 0
    rows = []
    run = []
    for e in todo:
        label = f"{e.section}/{e.key}"
        old = data[e.section].get(e.key)
        if not update and e.key in stale:
            why = "not in the manifest" if old is None else "the model changed since it was recorded"
            rows.append({"key": label, "status": "missing" if old is None else "stale"})
            if not as_json:
                click.echo(f"{label}: {why} (run `{manifest.UPDATE_COMMAND}`)")
            bad += 1
            continue
        if not update and max_seconds is not None and old.get("seconds", 0) > max_seconds:
            rows.append({"key": label, "status": "skipped"})
            if not as_json:
                click.echo(f"{label}: skipped (recorded {old['seconds']}s > {max_seconds}s)")
            continue
        run.append(e)

    def last_seconds(e: Any) -> float:
        return float((data[e.section].get(e.key) or {}).get("seconds", 0))

    out_dir = root / "counterexamples" if update else None
    for e, new in manifest.record_many(run, known.__getitem__, out_dir, jobs, last_seconds):
        label = f"{e.section}/{e.key}"
        old = data[e.section].get(e.key)
        if update:
            manifest.put(data, e, new, now)
            rows.append({"key": label, "status": "recorded"})
            if not as_json:
                click.echo(f"{label}: recorded in {new.get('seconds', 0)}s")
            _save_manifest(data, p)
            continue
        if "traces" in old:
            new["traces"] = old["traces"]
        diffs = manifest.compare(old, new)
        rows.append({"key": label, "status": "ok" if not diffs else "differs", "differences": diffs})
        if not as_json:
            click.echo(f"{label}: " + ("ok" if not diffs else "DIFFERS: " + "; ".join(diffs)))
        bad += bool(diffs)
    if update and not named:
        for gone in manifest.prune(data, planned):
            rows.append({"key": gone, "status": "removed"})
            if not as_json:
                click.echo(f"{gone}: no longer planned, removed")
        _save_manifest(data, p)
    if update:
        from ppcheck.checks import figures

        for doc in figures.refresh(p.resolve().parent, data["runs"]):
            if not as_json:
                click.echo(f"{doc}: figures re-rendered from the manifest")
    code = EXIT_VIOLATION if bad else EXIT_OK
    verb = "recorded" if update else "checked"
    text = f"{len(rows)} manifest entries {verb}: {bad} differ, are stale or are missing"
    if as_json:
        click.echo(dumps(envelope("manifest", code, summary={"text": text}, entries=rows)))
    else:
        click.echo(text)
    sys.exit(code)


def _save_manifest(data: dict[str, Any], p: Path) -> None:
    from ppcheck.checks import manifest

    try:
        manifest.save(data, p)
    except OSError as err:
        _fail(f"cannot write the manifest {p}: {err.strerror or err}")


# -- entry point -------------------------------------------------------------------------------

def _error(msg: str) -> int:
    """One line on stderr (and the JSON envelope on stdout under --json); exit 2."""
    msg = " ".join(str(msg).split())
    click.echo(f"ppcheck: error: {msg}", err=True)
    if CURRENT.as_json:
        click.echo(dumps(envelope(CURRENT.command or "ppcheck", EXIT_USAGE,
                                  summary={"text": f"error: {msg}"}, error=msg)))
    return EXIT_USAGE


def _run(fn: Callable[[], Any], argv: list[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    CURRENT.__init__()  # type: ignore[misc]
    CURRENT.as_json = "--json" in args
    CURRENT.command = next((a for a in args if not a.startswith("-")), "")
    try:
        fn()
    except SystemExit as e:
        return int(e.code or 0) if isinstance(e.code, int) or e.code is None else EXIT_USAGE
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        return _error(e.format_message())
    except (UsageFailure, SpecError) as e:
        return _error(str(e))
    except (KeyboardInterrupt, click.Abort):
        click.echo("ppcheck: interrupted (Ctrl-C)", err=True)
        return EXIT_INCOMPLETE
    except BrokenPipeError:  # `ppcheck show ... | head`
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except RecursionError:
        return _error("input nested too deeply")
    return 0


def main(argv: list[str] | None = None) -> int:
    if threading.current_thread() is threading.main_thread():
        INTERRUPTED.clear()
        old = signal.signal(signal.SIGINT, _on_sigint)
    else:  # pragma: no cover
        old = None
    try:
        code = _run(lambda: cli.main(args=argv, prog_name="ppcheck", standalone_mode=False), argv)
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":  # pragma: no cover
    main()
