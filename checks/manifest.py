"""The golden manifest: recorded verdicts and state counts per (model, config, symmetry).

Entries are recorded from real explorer runs by ``ppcheck manifest --update`` and
reviewed in the diff, never typed by hand (after the TLA+ Examples' manifest.json).
``ppcheck manifest`` re-runs every entry and reports each difference; the test suite
does the same for the entries small enough for CI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ppcheck.spec.model import Model, build

from .explorer import Explorer

MANIFEST_VERSION = 1
DEFAULT_PATH = Path("manifest.json")
#: the modules whose models this manifest records; the seed designs keep their own
#: (seeds_manifest.json, with their diffs: see checks/seeds_manifest.py)
SCOPE = ("ppcheck.models.toys", "ppcheck.models.mainline")


def in_scope(model: type[Model]) -> bool:
    return model.__module__ in SCOPE


@dataclass(frozen=True)
class Entry:
    model: str
    config: str
    symmetry: bool

    @property
    def key(self) -> str:
        return f"{self.model}/{self.config}/{'sym' if self.symmetry else 'nosym'}"


def plan(models: list[type[Model]]) -> list[Entry]:
    """Every model's manifest configurations, with and without symmetry."""
    out = []
    for m in models:
        cfgs = getattr(m, "manifest_configs", None) or m.default_configs
        for c in cfgs:
            out.append(Entry(m.name, c, True))
            out.append(Entry(m.name, c, False))
    return out


def record(entry: Entry, model: type[Model], max_states: int | None = None) -> dict[str, Any]:
    """Run the explorer on one entry and return what the manifest stores."""
    system = build(model, entry.config)
    ex = Explorer(system, symmetry=entry.symmetry, max_states=max_states)
    run = ex.run()
    return {
        "model": entry.model, "config": entry.config, "symmetry": run.symmetry,
        "complete": run.complete, "states": run.states, "transitions": run.transitions,
        "depth": run.depth, "fingerprint": run.fingerprint,
        "verdicts": {r.name: r.status for r in run.results},
        "trace_lengths": {r.name: r.trace_length for r in run.results if r.trace_length is not None},
        "seconds": round(run.seconds, 2),
    }


_COMPARED = ("complete", "states", "transitions", "depth", "verdicts", "trace_lengths")


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Human-readable differences between a recorded entry and a fresh run."""
    out = []
    for k in _COMPARED:
        if expected.get(k) != actual.get(k):
            out.append(f"{k}: recorded {expected.get(k)!r}, now {actual.get(k)!r}")
    return out


def load(path: Path = DEFAULT_PATH) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    obj = json.loads(path.read_text())
    if obj.get("version") != MANIFEST_VERSION:
        raise ValueError(f"{path}: unsupported manifest version {obj.get('version')!r}")
    return obj["entries"]


def save(entries: dict[str, dict[str, Any]], path: Path = DEFAULT_PATH) -> None:
    data = {"version": MANIFEST_VERSION,
            "note": "recorded by `ppcheck manifest --update`; do not edit by hand",
            "entries": dict(sorted(entries.items()))}
    path.write_text(json.dumps(data, indent=1) + "\n")
