"""The expectations manifest: every recorded count, verdict, trace length and diff, in one file.

``manifest.json`` holds what the tests compare against, recorded from real runs by one
command, ``ppcheck manifest --update`` (after the TLA+ Examples' manifest.json), never typed
by hand.  Its sections:

* ``runs``: toys and mainline per (model, configuration, symmetry): states, transitions,
  depth, verdicts, shortest trace lengths, actions that never fired;
* ``seeds``: every seed design of :data:`~ppcheck.checks.seeds_manifest.PLAN` (with its stored
  counterexamples and ratios);
* ``diffs``: ``ppcheck diff`` of every pair of :data:`~ppcheck.checks.seeds_manifest.PAIRS`;
* ``bugs``: every seeded bug of :data:`BUG_FILES`: its verdict, the length and last action of
  its shortest counterexample;
* ``fingerprints``: the model fingerprint of every (model, configuration) above.

The fingerprints are checked first (:func:`stale`): a model change fails once, naming the
command that re-records exactly what changed (``ppcheck manifest --update`` re-records the
stale and missing entries; ``--all`` everything; naming models forces theirs).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ppcheck.spec.model import Model, build

from .explorer import Explorer
from .verdict import RunResult

MANIFEST_VERSION = 2
DEFAULT_PATH = Path("manifest.json")
#: the one command that re-records (stale and missing entries; name models to force theirs)
UPDATE_COMMAND = "ppcheck manifest --update"
#: the modules whose models the ``runs`` section records (the seeds are planned in seeds_manifest)
SCOPE = ("ppcheck.models.toys", "ppcheck.models.mainline")
#: the seeded-bug files (relative to the manifest's directory); each defines ``MANIFEST_BUGS``
BUG_FILES = ("tests/seeded_bugs.py", "tests/seed_bugs.py", "tests/skb_bugs.py")
SECTIONS = ("runs", "seeds", "diffs", "bugs")
#: per section, entries whose recording took more CPU seconds than this are marked ``slow`` in
#: the tests
#: (the default run deselects them; ``ppcheck manifest`` re-checks everything)
SLOW_SECONDS = {"runs": 60.0, "seeds": 3.0, "diffs": 3.0, "bugs": 60.0}
#: fields a re-run need not reproduce
_UNCOMPARED = frozenset({"seconds", "traces"})


def is_slow(section: str, entry: dict[str, Any]) -> bool:
    return entry.get("seconds", 0) > SLOW_SECONDS[section]


def in_scope(model: type[Model]) -> bool:
    return model.__module__ in SCOPE or model.__module__.startswith(SCOPE[1] + ".")


@dataclass(frozen=True)
class Entry:
    """One recorded expectation: its section, key, the (model, config) pairs it depends on."""

    section: str
    key: str
    uses: tuple[tuple[str, str], ...]
    args: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def models(self) -> set[str]:
        return {m for m, _ in self.uses}


# -- what is planned ----------------------------------------------------------------------------

def run_entry(model: str, config: str, symmetry: bool) -> Entry:
    return Entry("runs", f"{model}/{config}/{'sym' if symmetry else 'nosym'}", ((model, config),),
                 {"model": model, "config": config, "symmetry": symmetry})


def bug_files(root: Path) -> list[Any]:
    """The seeded bugs of every file of :data:`BUG_FILES` under ``root`` (absent files skipped)."""
    out = []
    for rel in BUG_FILES:
        path = root / rel
        if path.exists():
            out.extend(_load_bug_module(str(path)).MANIFEST_BUGS)
    return out


@cache
def _load_bug_module(path: str) -> Any:
    name = Path(path).stem
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == path:
        return sys.modules[name]  # the tests imported it already: one class per bug
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def bug_key(bug: Any) -> str:
    return f"{bug.model.name}/{bug.config}/{bug.prop}"


def models_by_name(root: Path) -> dict[str, type[Model]]:
    """Every model the manifest can name: the registry and the seeded bugs."""
    from ppcheck.models import registry

    out = dict(registry())
    for b in bug_files(root):
        out[b.model.name] = b.model
    return out


def plan(models: Iterable[type[Model]] | None = None, root: Path = Path(".")) -> list[Entry]:
    """Every entry of the manifest (``models``: the ``runs`` section's models, default: SCOPE)."""
    from ppcheck.models import registry

    from .seeds_manifest import PAIRS, PLAN, pair_key

    if models is None:
        models = [m for m in registry().values() if in_scope(m)]
    out = []
    for m in models:
        for c in m.manifest_configs or m.default_configs:
            out += [run_entry(m.name, c, True), run_entry(m.name, c, False)]
    for seed, m, c in PLAN:
        out.append(Entry("seeds", f"{m}/{c}", ((m, c),), {"seed": seed, "model": m, "config": c}))
    for seed, a, b, c in PAIRS:
        out.append(Entry("diffs", pair_key(a, b, c), ((a, c), (b, c)),
                         {"seed": seed, "a": a, "b": b, "config": c}))
    for bug in bug_files(root):
        out.append(Entry("bugs", bug_key(bug), ((bug.model.name, bug.config),), {"bug": bug}))
    return out


# -- recording ----------------------------------------------------------------------------------

def record_run(model: type[Model], config: str, symmetry: bool,
               max_states: int | None = None, backend: str = "python") -> dict[str, Any]:
    """Run the explorer on one (model, config, symmetry) and return what ``runs`` stores
    (``backend``: the explorer's; both give the same entry, the tests re-run with each)."""
    from .native import run_explorer

    run, _ = run_explorer(build(model, config), backend, symmetry=symmetry, max_states=max_states)
    return run_fields(model, config, run)


def run_fields(model: type[Model], config: str, run: RunResult) -> dict[str, Any]:
    """What ``runs`` stores of one explorer run (a RunResult) of ``model`` on ``config``."""
    return {
        "model": model.name, "config": config, "symmetry": run.symmetry,
        "complete": run.complete, "states": run.states, "transitions": run.transitions,
        "depth": run.depth, "fingerprint": run.fingerprint,
        "verdicts": {r.name: r.status for r in run.results},
        "trace_lengths": {r.name: r.trace_length for r in run.results if r.trace_length is not None},
        "never_fired": run.never_fired(),
        "seconds": round(run.seconds, 2),
    }


def record_bug(bug: Any, timeout: float = 300) -> dict[str, Any]:
    """A seeded bug's shortest counterexample: the explorer stopped at the first violation."""
    system = build(bug.model, bug.config)
    ex = Explorer(system, symmetry=True, properties=[bug.prop], stop_at_first=True, timeout=timeout)
    return bug_fields(bug, ex.run(), ex)


def bug_fields(bug: Any, run: RunResult, ex: Explorer) -> dict[str, Any]:
    """What ``bugs`` stores of the explorer's run on a seeded bug (stopped at its first
    violation of ``bug.prop``, with symmetry: :func:`record_bug`'s search)."""
    system = ex.system
    res = {r.name: r for r in run.results}[bug.prop]
    tr = ex.traces.get(bug.prop)
    return {
        "model": bug.model.name, "config": bug.config, "property": bug.prop,
        "fingerprint": system.fingerprint, "verdict": res.status,
        "length": tr.length if tr else None,
        "last": tr.steps[-1].action if tr else None,
        "loop_start": getattr(tr, "loop_start", None) if tr else None,
        "seconds": round(run.seconds, 2),
    }


def record(entry: Entry, resolve: Callable[[str], type[Model]],
           out_dir: Path | None = None, backend: str = "python") -> dict[str, Any]:
    """Record one entry from a real run (``out_dir``: where a seed run writes its traces;
    ``backend``: the explorer backend of a ``runs`` entry)."""
    t0 = time.process_time()
    out = _record(entry, resolve, out_dir, backend)
    # CPU seconds, not wall-clock: what decides the ``slow`` mark must not depend on the load
    out["seconds"] = round(time.process_time() - t0, 2)
    return out


def record_many(entries: list[Entry], resolve: Callable[[str], type[Model]],
                out_dir: Path | None = None, jobs: int = 1,
                expected_seconds: Callable[[Entry], float] = lambda e: 0.0,
                ) -> Iterator[tuple[Entry, dict[str, Any]]]:
    """Record ``entries``, yielding each (entry, value) as it is done: in order with one job,
    else in ``jobs`` forked processes, the longest expected first (``expected_seconds``, e.g.
    the last recording's CPU seconds) so that one long entry does not finish alone.  Every
    value is what :func:`record` returns; only the order of completion differs."""
    if jobs <= 1 or len(entries) <= 1:
        for e in entries:
            yield e, record(e, resolve, out_dir)
        return
    import multiprocessing

    order = sorted(range(len(entries)), key=lambda i: -expected_seconds(entries[i]))
    global _FORKED
    _FORKED = (entries, resolve, out_dir)
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(entries))) as pool:
            for i, value in pool.imap_unordered(_record_forked, order, chunksize=1):
                yield entries[i], value
    finally:
        _FORKED = None


#: what the forked recorders read (set by :func:`record_many` just before the fork)
_FORKED: tuple[list[Entry], Callable[[str], type[Model]], Path | None] | None = None


def _record_forked(i: int) -> tuple[int, dict[str, Any]]:
    assert _FORKED is not None
    entries, resolve, out_dir = _FORKED
    return i, record(entries[i], resolve, out_dir)


def _record(entry: Entry, resolve: Callable[[str], type[Model]], out_dir: Path | None,
            backend: str) -> dict[str, Any]:
    from . import seeds_manifest as sm

    a = entry.args
    if entry.section == "runs":
        return record_run(resolve(a["model"]), a["config"], a["symmetry"], backend=backend)
    if entry.section == "seeds":
        return sm.record_run(a["seed"], a["model"], a["config"], out_dir)
    if entry.section == "diffs":
        return sm.record_pair(a["seed"], a["a"], a["b"], a["config"])
    if entry.section == "bugs":
        return record_bug(a["bug"])
    raise ValueError(f"unknown manifest section {entry.section!r}")


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Human-readable differences between a recorded entry and a fresh run (not timings)."""
    keys = sorted((set(expected) | set(actual)) - _UNCOMPARED)
    return [f"{k}: recorded {expected.get(k)!r}, now {actual.get(k)!r}"
            for k in keys if expected.get(k) != actual.get(k)]


# -- fingerprints -------------------------------------------------------------------------------

def current_fingerprints(pairs: Iterable[tuple[str, str]],
                         resolve: Callable[[str], type[Model] | None]) -> dict[str, str | None]:
    """``model/config`` -> the fingerprint of the model built now (None: gone or does not build)."""
    out: dict[str, str | None] = {}
    for m, c in sorted(set(pairs)):
        out[f"{m}/{c}"] = _fingerprint(resolve(m), c)
    return out


def _fingerprint(model: type[Model] | None, config: str) -> str | None:
    if model is None:
        return None
    try:
        return build(model, config).fingerprint
    except Exception:  # noqa: BLE001 - a model that no longer builds is stale, not a crash
        return None


def stale(data: dict[str, Any], entries: list[Entry], now: dict[str, str | None]) -> list[Entry]:
    """The planned entries that are missing, or recorded on a model that has since changed."""
    fps = data.get("fingerprints", {})
    out = []
    for e in entries:
        changed = any(fps.get(f"{m}/{c}") != now.get(f"{m}/{c}") for m, c in e.uses)
        if changed or e.key not in data.get(e.section, {}):
            out.append(e)
    return out


# -- the file -----------------------------------------------------------------------------------

def empty() -> dict[str, Any]:
    return {"version": MANIFEST_VERSION, "fingerprints": {}, **{s: {} for s in SECTIONS}}


def load(path: Path = DEFAULT_PATH) -> dict[str, Any]:
    if not path.exists():
        return empty()
    obj = json.loads(path.read_text())
    if obj.get("version") != MANIFEST_VERSION:
        raise ValueError(f"{path}: unsupported manifest version {obj.get('version')!r} "
                         f"(re-record: {UPDATE_COMMAND} --all)")
    for s in (*SECTIONS, "fingerprints"):
        if not isinstance(obj.get(s, {}), dict):
            raise ValueError(f"{path}: section {s!r} is not an object")
        obj.setdefault(s, {})
    return obj


def save(data: dict[str, Any], path: Path = DEFAULT_PATH) -> None:
    out = {"version": MANIFEST_VERSION,
           "note": f"recorded by `{UPDATE_COMMAND}` (see checks/manifest.py); do not edit by hand",
           "fingerprints": dict(sorted(data.get("fingerprints", {}).items())),
           **{s: dict(sorted(data.get(s, {}).items())) for s in SECTIONS}}
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


def put(data: dict[str, Any], entry: Entry, value: dict[str, Any],
        now: dict[str, str | None]) -> None:
    """Store a freshly recorded entry and the fingerprints it was recorded on."""
    data.setdefault(entry.section, {})[entry.key] = value
    for m, c in entry.uses:
        fp = now.get(f"{m}/{c}")
        if fp is not None:
            data.setdefault("fingerprints", {})[f"{m}/{c}"] = fp


def prune(data: dict[str, Any], entries: list[Entry]) -> list[str]:
    """Drop recorded entries and fingerprints nothing plans any more; return their keys."""
    planned = {(e.section, e.key) for e in entries}
    gone = [f"{s}/{k}" for s in SECTIONS for k in list(data.get(s, {})) if (s, k) not in planned]
    for s in SECTIONS:
        for k in list(data.get(s, {})):
            if (s, k) not in planned:
                del data[s][k]
    used = {f"{m}/{c}" for e in entries for m, c in e.uses}
    for k in list(data.get("fingerprints", {})):
        if k not in used:
            del data["fingerprints"][k]
    return gone
