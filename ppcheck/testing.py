"""pytest helpers: ``assert_holds(model, config)`` fails with the rendered trace.

::

    from ppcheck.testing import assert_holds

    def test_my_patch_keeps_page_pool_safe():
        assert_holds("path/to/my_patch.py", "rt")

A violation fails the test with the counterexample as the story ``ppcheck show`` prints
(who ran which kernel function, what changed, why the property is false); an incomplete
check (a budget) fails too, saying so: it is never a pass.
"""

from __future__ import annotations

import tempfile
from typing import Any

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.render import render_text
from ppcheck.checks.report import shortest_violation
from ppcheck.checks.verdict import UNKNOWN, VIOLATED, RunResult, is_failure
from ppcheck.loading import build_system, resolve_one


class PropertyViolation(AssertionError):
    """A model violates a property; the message is the rendered counterexample."""


def check(model: Any, config: str | None = None, *, properties: list[str] | None = None,
          max_states: int | None = None, timeout: float | None = None,
          symmetry: bool = True, **overrides: Any) -> tuple[RunResult, Explorer]:
    """Explore ``model`` (a class, a name, ``file.py[:Class]`` or ``module:Class``)."""
    m = resolve_one(model) if isinstance(model, str) else model
    cfg = m.config(config or m.default_configs[0], **overrides)
    ex = Explorer(build_system(m, cfg), symmetry=symmetry, max_states=max_states, timeout=timeout,
                  properties=properties, out_dir=tempfile.mkdtemp(prefix="ppcheck-test-"))
    return ex.run(), ex


def assert_holds(model: Any, config: str | None = None, **kw: Any) -> RunResult:
    """Every property of ``model`` holds in ``config`` (and every witness is reached)."""
    run, ex = check(model, config, **kw)
    first = shortest_violation(run, {p.name for p in ex.system.properties if p.lemma})
    if first is not None:
        bad = [r.name for r in run.results if is_failure(r)]
        head = (f"{run.model}/{run.config}: {first.name} {first.status}"
                + (f" ({len(bad) - 1} more: {', '.join(n for n in bad if n != first.name)})"
                   if len(bad) > 1 else ""))
        tr = ex.traces.get(first.name)
        body = render_text(tr) if tr is not None and first.status == VIOLATED else first.detail
        raise PropertyViolation(f"{head}\n\n{body}")
    if not run.complete or any(r.status == UNKNOWN for r in run.results):
        raise PropertyViolation(f"{run.model}/{run.config}: incomplete ({run.reason}): "
                                "nothing is proved")
    return run


__all__ = ["PropertyViolation", "assert_holds", "check"]
