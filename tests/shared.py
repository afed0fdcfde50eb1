"""Searches shared across the tests of one session: a search that several tests run (the
manifest's re-run of ``runs/mainline/skb/sym``, the agreement case ``mainline/skb``, a seeded
bug's shortest counterexample that the manifest, the implementation replay and the trace tests
all read) is run once per test process, and every test checks its own things on the one result.

The key is everything that decides the search: the model class, the configuration (name and
parameters), the engine and each option (symmetry, the properties, stop at the first
violation, the budgets).  The explorers are deterministic (the same key gives the same states,
verdicts and traces: tests/test_cli_output.py checks it across hash seeds), so a shared result
is the result each test would have computed.  Under pytest-xdist the tests that share a search
carry the same :func:`group` (``xdist_group``), and ``.ci/run`` distributes with
``--dist loadgroup``, so they run in the same worker and the search is run once in the session.

Callers must not change what they are given (the system, the run, the explorer's traces).
"""

from __future__ import annotations

from typing import Any

import pytest

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.verdict import RunResult
from ppcheck.spec.model import Config, Model, System, build


def _config_key(model: type[Model], cfg: Config | str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    c = model.config(cfg) if isinstance(cfg, str) else cfg
    return c.name, tuple(sorted((k, repr(v)) for k, v in c.params.items()))


_SYSTEMS: dict[tuple[Any, ...], System] = {}


def system(model: type[Model], cfg: Config | str = "default") -> System:
    """``build(model, cfg)``, once per (model, configuration) in a test process."""
    key = (model, _config_key(model, cfg))
    if key not in _SYSTEMS:
        _SYSTEMS[key] = build(model, cfg)
    return _SYSTEMS[key]


_RUNS: dict[tuple[Any, ...], tuple[RunResult, Explorer]] = {}


def explore(model: type[Model], cfg: Config | str = "default", *, backend: str = "python",
            symmetry: bool = True, properties: list[str] | None = None, stop_at_first: bool = False,
            max_states: int | None = None, timeout: float | None = None) -> tuple[RunResult, Explorer]:
    """The explorer's (run, explorer) on ``model`` x ``cfg`` with these options, run once per
    test process (``backend``: ``python`` or ``native``)."""
    key = (model, _config_key(model, cfg), backend, symmetry,
           None if properties is None else tuple(properties), stop_at_first, max_states, timeout)
    if key not in _RUNS:
        sysm = system(model, cfg)
        kw = dict(symmetry=symmetry, properties=properties, stop_at_first=stop_at_first,
                  max_states=max_states, timeout=timeout)
        if backend == "python":
            ex: Explorer = Explorer(sysm, **kw)
        else:
            from ppcheck.checks.native.explorer import NativeExplorer

            ex = NativeExplorer(sysm, **kw)
        _RUNS[key] = (ex.run(), ex)
    return _RUNS[key]


#: a seeded bug's shortest counterexample: the options of ``ppcheck manifest``'s ``bugs``
#: section (checks/manifest.py:record_bug), which every test of a seeded bug's trace shares
BUG_TIMEOUT = 300.0


def bug_search(bug: Any) -> tuple[RunResult, Explorer]:
    """The explorer stopped at the first violation of ``bug.prop`` on the bug's model."""
    return explore(bug.model, bug.config, properties=[bug.prop], stop_at_first=True,
                   timeout=BUG_TIMEOUT)


def group(name: str) -> pytest.MarkDecorator:
    """The xdist group of the tests that share the search ``name`` (``model/config/...``)."""
    return pytest.mark.xdist_group(name)


def bug_group(bug: Any) -> pytest.MarkDecorator:
    """The xdist group of a seeded bug's search: its manifest key (model/config/property)."""
    from ppcheck.checks.manifest import bug_key

    return group(bug_key(bug))
