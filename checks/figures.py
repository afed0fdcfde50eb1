"""The docs' figures tables, rendered from ``manifest.json`` instead of typed by hand.

A docs file marks a table with two comment lines::

    <!-- figures: mainline -->
    ...
    <!-- /figures -->

and :func:`refresh` replaces what lies between them with :func:`render` of that model's
``runs`` entries: per default configuration, the states, transitions and depth with and
without symmetry, the CPU seconds of the recording, and the verdicts.  ``ppcheck manifest
--update`` calls it after saving, so a re-record updates the docs in the same command, and
``tests/test_figures.py`` fails when a table and the manifest disagree.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

#: the docs files that carry figures tables (relative to the manifest's directory)
DOCS = ("docs/mainline.md",)
_BLOCK = re.compile(r"(<!-- figures: (?P<model>[\w.]+) -->\n)(?P<body>.*?)(<!-- /figures -->)", re.S)


def _verdict(run: dict[str, Any]) -> str:
    """One cell: what the run's properties and witnesses came to."""
    verdicts = run["verdicts"]
    broken = sorted(k for k, v in verdicts.items() if v == "violated")
    vacuous = sorted(k for k, v in verdicts.items() if v == "vacuous")
    other = sorted(k for k, v in verdicts.items() if v not in ("holds", "reached", "violated", "vacuous"))
    parts = []
    if broken:
        parts.append("violated: " + ", ".join(f"`{k}`" for k in broken))
    else:
        parts.append("all hold")
    parts.append("witnesses vacuous: " + ", ".join(f"`{k}`" for k in vacuous) if vacuous
                 else "all witnesses reached")
    if other:
        parts.append("other: " + ", ".join(f"`{k}` {verdicts[k]}" for k in other))
    if not run.get("complete", True):
        parts.append("**incomplete**")
    return "; ".join(parts)


def render(runs: dict[str, Any], model: str) -> str:
    """The markdown table of ``model``'s recorded runs, one row per configuration."""
    by_config: dict[str, dict[str, dict[str, Any]]] = {}
    for key, run in runs.items():
        name, config, sym = key.split("/")
        if name == model:
            by_config.setdefault(config, {})[sym] = run
    if not by_config:
        raise ValueError(f"the manifest has no runs of model {model!r}")
    lines = ["| configuration | states (sym / nosym) | transitions (sym / nosym) | depth | "
             "CPU s (sym / nosym) | verdict |",
             "|---|---:|---:|---:|---:|---|"]
    for config in sorted(by_config):
        pair = by_config[config]
        order = [pair[s] for s in ("sym", "nosym") if s in pair]

        def both(field: str, fmt: str = "{:,}") -> str:
            return " / ".join(fmt.format(r[field]) for r in order)  # noqa: B023
        lines.append(f"| `{config}` | {both('states')} | {both('transitions')} | {order[0]['depth']} | "
                     f"{both('seconds', '{:.1f}')} | {_verdict(order[0])} |")
    return "\n".join(lines) + "\n"


def refresh_text(text: str, runs: dict[str, Any]) -> str:
    """``text`` with every figures block re-rendered from ``runs``."""
    return _BLOCK.sub(lambda m: m.group(1) + render(runs, m.group("model")) + m.group(4), text)


def refresh(root: Path, runs: dict[str, Any]) -> list[Path]:
    """Re-render the figures blocks of :data:`DOCS` under ``root``; the files that changed."""
    changed = []
    for rel in DOCS:
        path = root / rel
        if not path.is_file():
            continue
        old = path.read_text()
        new = refresh_text(old, runs)
        if new != old:
            path.write_text(new)
            changed.append(path)
    return changed
