"""The split tests' one explorer driver (tests/test_splits.py, tests/test_splits_skb.py): a
variant of mainline explored with symmetry, stopped at the first violation of the named
properties, and the violated properties with their shortest trace lengths."""

from __future__ import annotations

from typing import Any

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.verdict import RunResult
from ppcheck.spec import build


def explore(model: type, cfg: str, props: list[str] | None = None,
            **overrides: Any) -> tuple[RunResult, Explorer]:
    """Explore ``model`` on configuration ``cfg`` (with ``overrides`` of its parameters)."""
    sysm = build(model, model.config(cfg, **overrides))
    ex = Explorer(sysm, symmetry=True, properties=props, stop_at_first=props is not None)
    return ex.run(), ex


def violations(r: RunResult) -> dict[str, int]:
    """Each violated property with its trace length."""
    return {x.name: x.trace_length for x in r.results if x.status == "violated"}
