"""Coverage as a verdict: every action of a model fires in some default configuration.

An action that never fires is a path of the kernel the model claims and does not check: its
guard is unreachable, or constant-false in the configuration so that the build dropped it
(``System.dropped``; the explorer counts it as fired 0 times).  ``ppcheck check`` fails (exit 1)
on a model whose runs over all of its default configurations leave an action unfired, unless
the model declares it out of scope with a reason (``Model.out_of_scope``) in every one of them;
a declaration that a run contradicts (the action fires there) fails as well, so declarations
cannot go stale.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .verdict import RunResult

COVERED, UNCOVERED, UNKNOWN = "covered", "uncovered", "unknown"


@dataclass
class Coverage:
    """The coverage verdict of one model over its default configurations."""

    model: str
    configs: list[str]
    status: str
    never_fired: list[str] = field(default_factory=list)  #: fire nowhere, not declared: failures
    out_of_scope: dict[str, str] = field(default_factory=dict)  #: fire nowhere, declared: reasons
    contradicted: list[str] = field(default_factory=list)  #: "config: action" declared but fired

    @property
    def failed(self) -> bool:
        return self.status == UNCOVERED

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        where = f"{self.model} over {', '.join(self.configs)}"
        if self.status == UNKNOWN:
            return f"coverage {where}: unknown (a run is incomplete)"
        parts = []
        if self.never_fired:
            parts.append(f"actions that never fire: {', '.join(self.never_fired)} (fire them in a "
                         "default configuration, or declare them in out_of_scope with a reason)")
        if self.contradicted:
            parts.append(f"declared out of scope but fire: {', '.join(self.contradicted)}")
        if self.out_of_scope:
            parts.append(f"{len(self.out_of_scope)} declared out of scope")
        body = "; ".join(parts) if parts else "every action fires"
        return f"coverage {where}: {'FAILS: ' if self.failed else ''}{body}"


def model_coverage(model: Any, runs: list[RunResult]) -> Coverage:
    """The verdict of ``model`` from its runs in its default configurations (one per config)."""
    configs = [r.config for r in runs]
    if not all(r.complete for r in runs):
        return Coverage(model.name, configs, UNKNOWN)
    actions = [d.name for d in model.action_defs()]
    fired = {a for r in runs for a, n in r.coverage.items() if n > 0}
    declared = {c: model.declared_out_of_scope(c) for c in configs}
    never, excused = [], {}
    for a in actions:
        if a in fired:
            continue
        reasons = [declared[c].get(a) for c in configs]
        if all(reasons):
            excused[a] = "; ".join(dict.fromkeys(reasons))
        else:
            never.append(a)
    contradicted = [f"{r.config}: {a}" for r in runs for a in declared[r.config]
                    if r.coverage.get(a, 0) > 0]
    status = UNCOVERED if never or contradicted else COVERED
    return Coverage(model.name, configs, status, never, excused, contradicted)


def coverage_verdicts(runs: list[tuple[Any, RunResult]]) -> list[Coverage]:
    """One verdict per model whose explorer runs cover exactly its default configurations with
    their default parameters (a run of one configuration, or with ``--set``, says nothing about
    the others)."""
    by_model: dict[str, tuple[Any, list[RunResult]]] = {}
    for model, run in runs:
        if run.engine != "explorer":
            continue
        by_model.setdefault(model.name, (model, []))[1].append(run)
    out = []
    for model, rs in by_model.values():
        if sorted(r.config for r in rs) != sorted(model.default_configs):
            continue
        if any(r.params != dict(model.config(r.config).params) for r in rs):
            continue
        out.append(model_coverage(model, rs))
    return out
