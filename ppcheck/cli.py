"""The ``ppcheck`` command line.

Exit codes: 0 every property holds (every witness reached), 1 a violation (or a
vacuous witness), 2 bad usage or input, 3 incomplete (a budget, timeout, Ctrl-C or
solver ``unknown`` cut the check short).  Bad input is one line on stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ppcheck.checks.verdict import EXIT_USAGE, RunResult, combine_exit
from ppcheck.spec.expr import SpecError


class UsageFailure(Exception):
    """Bad usage or input: reported as one line, exit 2."""


def _fail(msg: str) -> None:
    raise UsageFailure(msg)


def _models(names: tuple[str, ...]) -> list[Any]:
    from ppcheck.models import default_models, get_model

    if not names:
        ms = default_models()
        if not ms:
            _fail("no default models are registered")
        return ms
    return [get_model(n) for n in names]


def _parse_sets(sets: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in sets:
        if "=" not in s:
            _fail(f"--set expects KEY=VALUE, got {s!r}")
        k, v = s.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            _fail(f"--set {k}: {v!r} is not a number, true/false or a JSON value")
    return out


def _configs(model: Any, config: str | None, sets: dict[str, Any]) -> list[Any]:
    names = [config] if config else list(model.default_configs)
    return [model.config(n, **sets) for n in names]


def _print_run(run: RunResult, console: Any) -> None:
    from rich.table import Table

    params = ", ".join(f"{k}={v}" for k, v in sorted(run.params.items()))
    status = "complete" if run.complete else f"INCOMPLETE ({run.reason})"
    console.print(
        f"[bold]{run.model}[/bold] / {run.config} ({params})  engine {run.engine}, "
        f"symmetry {'on' if run.symmetry else 'off'}, bound {run.bound or 'none'}")
    counts = (f"{run.states:,} states, {run.transitions:,} transitions, " if not run.engine.startswith("z3")
              else "")
    if run.deadlocks:
        counts += f"{run.deadlocks:,} without successors, "
    console.print(
        f"  {counts}depth {run.depth}, {run.seconds:.2f}s, peak memory {run.peak_memory / 2**20:.0f} MiB, "
        f"{status}")
    if run.symmetry_note:
        console.print(f"  [yellow]{run.symmetry_note}[/yellow]")
    t = Table(box=None, pad_edge=False, show_edge=False, padding=(0, 2))
    for col in ("property", "kind", "verdict", "steps", "trace / detail"):
        t.add_column(col)
    colours = {"holds": "green", "reached": "green", "proved": "green", "violated": "red",
               "vacuous": "red", "unknown": "yellow", "holds-to-depth": "yellow"}
    for r in run.results:
        c = colours.get(r.status, "white")
        t.add_row(r.name, r.kind, f"[{c}]{r.status}[/{c}]",
                  "" if r.trace_length is None else str(r.trace_length),
                  r.trace_file or r.detail)
    console.print(t)
    never = run.never_fired()
    if never:
        console.print(f"  [yellow]actions that never fired:[/yellow] {', '.join(never)}")
    console.print()


def _console() -> Any:
    from rich.console import Console

    con = Console(highlight=False, soft_wrap=True)
    if not con.is_terminal:
        con.width = 200
    return con


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ppcheck")
def cli() -> None:
    """ppcheck: a model-checked specification of the Linux kernel's page_pool."""


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_cmd(as_json: bool) -> None:
    """List models, their configurations and properties."""
    from ppcheck.models import registry

    out = []
    for m in registry().values():
        props = [{"name": p.name, "kind": p.kind} for p in m.property_defs()]
        out.append({"model": m.name, "default": bool(getattr(m, "default", False)),
                    "doc": (m.__doc__ or "").strip().splitlines()[0] if m.__doc__ else "",
                    "configs": {n: p for n, p in m.configs.items()},
                    "default_configs": list(m.default_configs), "properties": props,
                    "actions": [a.name for a in m.action_defs()]})
    if as_json:
        click.echo(json.dumps(out, indent=1))
        return
    con = _console()
    for m in out:
        star = " (default)" if m["default"] else ""
        con.print(f"[bold]{m['model']}[/bold]{star}  {m['doc']}")
        for n, p in m["configs"].items():
            mark = "*" if n in m["default_configs"] else " "
            con.print(f"  {mark} config {n}: " + ", ".join(f"{k}={v}" for k, v in p.items()))
        con.print("    properties: " + ", ".join(f"{p['name']} ({p['kind']})" for p in m["properties"]))
    con.print("\n* = checked by default")


@cli.command("check")
@click.argument("models", nargs=-1)
@click.option("--config", "config", help="Configuration name (default: each model's defaults).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a configuration parameter.")
@click.option("--max-states", type=click.IntRange(min=1), help="State budget (incomplete when reached).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Time budget (s) per run.")
@click.option("--max-depth", type=click.IntRange(min=0), help="Depth bound (incomplete when reached).")
@click.option("--property", "props", multiple=True, help="Check only this property (repeatable).")
@click.option("--no-symmetry", is_flag=True, help="Disable symmetry reduction.")
@click.option("--engine", type=click.Choice(["explorer", "z3"]), default="explorer", show_default=True)
@click.option("--depth", type=click.IntRange(min=0), help="Depth bound for --engine z3 (BMC).")
@click.option("--first", is_flag=True, help="Stop at the first violation.")
@click.option("--out", "out_dir", default="counterexamples", show_default=True,
              type=click.Path(file_okay=False), help="Where counterexample traces are written.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable verdicts on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def check_cmd(models: tuple[str, ...], config: str | None, sets: tuple[str, ...], max_states: int | None,
              timeout: float | None, max_depth: int | None, props: tuple[str, ...], no_symmetry: bool,
              engine: str, depth: int | None, first: bool, out_dir: str, as_json: bool,
              quiet: bool) -> None:
    """Check MODELS (default: the default models) in their configurations."""
    from ppcheck.checks.explorer import Explorer, stderr_progress
    from ppcheck.spec.model import build

    overrides = _parse_sets(sets)
    plan = [(m, c) for m in _models(models) for c in _configs(m, config, overrides)]
    runs: list[RunResult] = []
    con = _console()
    for m, cfg in plan:
        system = build(m, cfg)
        if engine == "z3":
            from ppcheck.checks.prove import prove

            run = prove(system, "bmc", depth, timeout, out_dir=out_dir)
        else:
            if not quiet:
                print(f"checking {m.name} / {cfg.name} ...", file=sys.stderr, flush=True)
            run = Explorer(system, symmetry=not no_symmetry, max_states=max_states, timeout=timeout,
                           progress=None if quiet else stderr_progress, out_dir=out_dir,
                           stop_at_first=first, max_depth=max_depth,
                           properties=list(props) if props else None).run()
        runs.append(run)
        if not as_json:
            _print_run(run, con)
    _finish(runs, as_json)


def _finish(runs: list[RunResult], as_json: bool) -> None:
    """Print the JSON verdicts if asked (tables were printed as runs ended), and exit."""
    if as_json:
        click.echo(json.dumps([r.to_json() for r in runs], indent=1))
    sys.exit(combine_exit(runs))


@cli.command("prove")
@click.argument("models", nargs=-1)
@click.option("--config", "config", help="Configuration name (default: each model's defaults).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a configuration parameter.")
@click.option("--engine", type=click.Choice(["bmc", "kind", "chc"]), default="kind", show_default=True)
@click.option("--depth", type=click.IntRange(min=0), help="Depth bound (BMC) or maximum k (k-induction).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Time budget (s) per run.")
@click.option("--out", "out_dir", default="counterexamples", show_default=True,
              type=click.Path(file_okay=False), help="Where counterexample traces are written.")
@click.option("--property", "props", multiple=True, help="Prove only this property (repeatable).")
@click.option("--witnesses", is_flag=True,
              help="With kind/chc, also search the witnesses (sometimes) and progress properties.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable verdicts on stdout.")
def prove_cmd(models: tuple[str, ...], config: str | None, sets: tuple[str, ...], engine: str,
              depth: int | None, timeout: float | None, out_dir: str, props: tuple[str, ...],
              witnesses: bool, as_json: bool) -> None:
    """Prove MODELS' invariants with Z3 (BMC, k-induction or CHC/Spacer).

    k-induction and CHC prove safety (always and transition properties and the action
    assertions); witnesses are reachability questions that `ppcheck check` (or --engine
    bmc) answers, so they are left out unless --witnesses is given.
    """
    from ppcheck.checks.prove import prove
    from ppcheck.checks.verdict import ACTION_ASSERTIONS
    from ppcheck.spec.model import ALWAYS, TRANSITION, build

    overrides = _parse_sets(sets)
    runs = []
    con = _console()
    for m in _models(models):
        for cfg in _configs(m, config, overrides):
            system = build(m, cfg)
            only = list(props) or None
            if only is None and engine != "bmc" and not witnesses:
                only = [ACTION_ASSERTIONS] + [p.name for p in system.properties
                                              if p.kind in (ALWAYS, TRANSITION)]
            run = prove(system, engine, depth, timeout, out_dir=out_dir, properties=only)
            runs.append(run)
            if not as_json:
                _print_run(run, con)
    _finish(runs, as_json)


@cli.command("show")
@click.argument("trace_file", type=click.Path(dir_okay=False))
@click.option("--full", is_flag=True, help="Print the full state at every step.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "mermaid", "html"]), default="text",
              show_default=True)
def show_cmd(trace_file: str, full: bool, fmt: str) -> None:
    """Render a trace: per step, who ran which action and what changed."""
    from ppcheck.checks import render
    from ppcheck.checks.traces import load_trace

    tr = load_trace(trace_file)
    out = {"text": lambda: render.render_text(tr, full=full), "json": lambda: render.render_json(tr),
           "mermaid": lambda: render.render_mermaid(tr), "html": lambda: render.render_html(tr)}[fmt]()
    click.echo(out, nl=False)


@cli.command("replay")
@click.argument("trace_files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--impl", is_flag=True,
              help="Run the trace on the executable implementation instead of the model.")
def replay_cmd(trace_files: tuple[str, ...], impl: bool) -> None:
    """Re-execute traces against their models, verifying every recorded state.

    Exit 0 when every trace replays, 1 when one does not (stale, not enabled, a state
    that differs, a claim not shown), 2 when a file is not a readable trace.
    """
    from ppcheck.checks.replay import replay
    from ppcheck.checks.traces import TraceError, load_trace

    worst = 0
    for f in trace_files:
        try:
            tr = load_trace(f)
        except TraceError as e:  # malformed: bad input, but go on with the others
            click.echo(f"ppcheck: error: {e}", err=True)
            worst = max(worst, EXIT_USAGE)
            continue
        try:
            if impl:
                try:
                    from ppcheck.impl.replay import replay_on_impl
                except ImportError:
                    _fail("the executable implementation's replay (ppcheck.impl.replay) is not installed")
                ok, text = replay_on_impl(tr)
                click.echo(f"{f}: {text}")
                worst = max(worst, 0 if ok else 1)
                continue
            res = replay(tr)
            click.echo(f"{f}: replays: {res.steps} steps on {tr.model}/{tr.config.get('name')}; {res.claim}")
        except (TraceError, SpecError) as e:
            click.echo(f"{f}: does not replay: {e}", err=True)
            worst = max(worst, 1)
    sys.exit(worst)


@cli.command("diff")
@click.argument("model_a")
@click.argument("model_b")
@click.option("--config", "config", help="Configuration name (default: A's first default).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a configuration parameter.")
@click.option("--max-states", type=click.IntRange(min=1), help="State budget per model.")
@click.option("--out", "out_dir", default="counterexamples", show_default=True,
              type=click.Path(file_okay=False), help="Where traces of new violations are written.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def diff_cmd(model_a: str, model_b: str, config: str | None, sets: tuple[str, ...],
             max_states: int | None, out_dir: str, as_json: bool) -> None:
    """Compare two models on one configuration: verdicts, behaviours, coverage."""
    from ppcheck.checks.diff import diff_command
    from ppcheck.models import get_model

    a, b = get_model(model_a), get_model(model_b)
    sys.exit(diff_command(a, b, config, _parse_sets(sets), max_states, out_dir, as_json))


@cli.command("simulate")
@click.argument("model")
@click.option("--config", "config", default=None, help="Configuration name (default: the model's first).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a configuration parameter.")
@click.option("--walks", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--steps", type=click.IntRange(min=1), default=200, show_default=True, help="Steps per walk.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Time budget (s).")
@click.option("--out", "out_dir", default="counterexamples", show_default=True,
              type=click.Path(file_okay=False), help="Where counterexample traces are written.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable verdicts on stdout.")
def simulate_cmd(model: str, config: str | None, sets: tuple[str, ...], walks: int, steps: int, seed: int,
                 timeout: float | None, out_dir: str, as_json: bool) -> None:
    """Random walks through MODEL: finds bugs in spaces too big to explore, proves nothing."""
    from ppcheck.checks.simulate import simulate
    from ppcheck.models import get_model
    from ppcheck.spec.model import build

    m = get_model(model)
    cfg = m.config(config or m.default_configs[0], **_parse_sets(sets))
    run = simulate(build(m, cfg), walks=walks, steps=steps, seed=seed, timeout=timeout, out_dir=out_dir)
    if not as_json:
        _print_run(run, _console())
    _finish([run], as_json)


@cli.command("export")
@click.argument("model")
@click.option("--config", "config", default=None, help="Configuration name (default: the model's first).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Override a configuration parameter.")
@click.option("--format", "fmt", type=click.Choice(["promela"]), default="promela", show_default=True)
def export_cmd(model: str, config: str | None, sets: tuple[str, ...], fmt: str) -> None:
    """Print MODEL in another tool's language (Promela for SPIN), from the same IR."""
    from ppcheck.checks.promela import to_promela
    from ppcheck.models import get_model
    from ppcheck.spec.model import build

    m = get_model(model)
    cfg = m.config(config or m.default_configs[0], **_parse_sets(sets))
    click.echo(to_promela(build(m, cfg)), nl=False)


@cli.command("manifest")
@click.argument("models", nargs=-1)
@click.option("--update", is_flag=True, help="Record fresh results into the manifest.")
@click.option("--file", "path", default="manifest.json", show_default=True, type=click.Path(dir_okay=False))
@click.option("--max-seconds", type=click.FloatRange(min=0), default=None,
              help="Skip entries whose recorded run took longer (checking only).")
def manifest_cmd(models: tuple[str, ...], update: bool, path: str, max_seconds: float | None) -> None:
    """Check (or --update) the golden manifest of state counts and verdicts."""
    from ppcheck.checks import manifest
    from ppcheck.models import get_model, registry

    p = Path(path)
    reg = registry()
    ms = [get_model(n) for n in models] if models else [m for m in reg.values() if manifest.in_scope(m)]
    try:
        recorded = manifest.load(p)
    except (ValueError, KeyError, json.JSONDecodeError) as e:
        _fail(f"{p}: malformed manifest ({e})")
    bad = 0
    for e in manifest.plan(ms):
        old = recorded.get(e.key)
        if not update and old is None:
            click.echo(f"{e.key}: not in the manifest (run --update)")
            bad += 1
            continue
        if not update and max_seconds is not None and old.get("seconds", 0) > max_seconds:
            click.echo(f"{e.key}: skipped (recorded {old['seconds']}s > {max_seconds}s)")
            continue
        new = manifest.record(e, reg[e.model])
        if update:
            recorded[e.key] = new
            click.echo(f"{e.key}: {new['states']:,} states, {new['seconds']}s")
            manifest.save(recorded, p)
            continue
        diffs = manifest.compare(old, new)
        click.echo(f"{e.key}: " + ("ok" if not diffs else "DIFFERS: " + "; ".join(diffs)))
        bad += bool(diffs)
    sys.exit(1 if bad else 0)


def _run(fn: Callable[[], Any]) -> int:
    try:
        fn()
    except SystemExit as e:
        return int(e.code or 0)
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.UsageError as e:
        print(f"ppcheck: error: {e.format_message()}", file=sys.stderr)
        return EXIT_USAGE
    except click.ClickException as e:
        print(f"ppcheck: error: {e.format_message()}", file=sys.stderr)
        return EXIT_USAGE
    except (UsageFailure, SpecError) as e:
        print(f"ppcheck: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except click.Abort:
        print("ppcheck: interrupted", file=sys.stderr)
        return 130
    return 0


def main(argv: list[str] | None = None) -> int:
    code = _run(lambda: cli.main(args=argv, prog_name="ppcheck", standalone_mode=False))
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":  # pragma: no cover
    main()
