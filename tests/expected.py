"""The expectations manifest as the tests read it: ``manifest.json``, see checks/manifest.py.

Tests take every count, verdict, trace length and diff from here instead of copying numbers.
Each read checks the model's fingerprint first: an entry recorded on a model that has since
changed is skipped (``tests/test_manifest.py::test_fingerprints_are_current`` fails once for
all of them, with the command that re-records).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ppcheck.checks import manifest

ROOT = Path(__file__).resolve().parent.parent
PATH = ROOT / "manifest.json"
DATA = manifest.load(PATH)
COMMAND = manifest.UPDATE_COMMAND


@cache
def models() -> dict[str, Any]:
    return manifest.models_by_name(ROOT)


@cache
def fingerprint_now(model: str, config: str) -> str | None:
    return manifest.current_fingerprints([(model, config)], models().get)[f"{model}/{config}"]


def marks(section: str, entry: dict[str, Any]) -> list[Any]:
    """``slow`` for an entry recorded as slower than its section's CI budget."""
    return [pytest.mark.slow] if manifest.is_slow(section, entry) else []


def require_fresh(*uses: tuple[str, str]) -> None:
    """Skip unless every (model, config) still has the fingerprint it was recorded with."""
    fps = DATA["fingerprints"]
    changed = [f"{m}/{c}" for m, c in uses if fps.get(f"{m}/{c}") != fingerprint_now(m, c)]
    if changed:
        pytest.skip(f"{', '.join(changed)} changed since recorded: re-record with `{COMMAND}` "
                    "(test_manifest.py::test_fingerprints_are_current)")


def entry(section: str, key: str) -> dict[str, Any]:
    """A recorded entry whose models are unchanged (else the test is skipped)."""
    if key not in DATA[section]:
        pytest.fail(f"{section}/{key} is not recorded: run `{COMMAND}`")
    e = DATA[section][key]
    if section == "diffs":
        require_fresh((e["a"], e["config"]), (e["b"], e["config"]))
    else:
        require_fresh((e["model"], e["config"]))
    return e


def run(model: str, config: str, symmetry: bool = True) -> dict[str, Any]:
    return entry("runs", f"{model}/{config}/{'sym' if symmetry else 'nosym'}")


def seed_run(model: str, config: str) -> dict[str, Any]:
    return entry("seeds", f"{model}/{config}")


def bug(b: Any) -> dict[str, Any]:
    """The recorded shortest counterexample of a seeded bug (verdict, length, last action)."""
    return entry("bugs", manifest.bug_key(b))


def bug_length(b: Any) -> int:
    """The recorded length, without the fingerprint check (for planning tests at collection)."""
    return DATA["bugs"].get(manifest.bug_key(b), {}).get("length") or 0
