"""Verdict records: what was checked, how, and what came out.

Statuses: ``holds`` (complete search, no violation), ``violated`` (with a trace),
``reached`` / ``vacuous`` for witnesses, and ``unknown`` when the search was cut short
(budget, timeout, Ctrl-C, Z3 ``unknown``): never reported as proved.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

HOLDS, VIOLATED, REACHED, VACUOUS, UNKNOWN = "holds", "violated", "reached", "vacuous", "unknown"
PROVED = "proved"  # unbounded proof (Z3 engines)
HOLDS_TO_DEPTH = "holds-to-depth"

#: exit codes of the CLI
EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3

#: the implicit property every model has: action assertions hold and values stay in domain
ACTION_ASSERTIONS = "action_assertions"


@dataclass
class PropertyResult:
    name: str
    kind: str
    status: str
    detail: str = ""
    trace_file: str | None = None
    trace_length: int | None = None  # number of steps (transitions) in the trace
    engine: str = ""
    out_of_scope: str = ""  # a witness declared unreachable here by design: the reason


def is_failure(r: PropertyResult) -> bool:
    """A violation, or a vacuous witness that is not declared out of scope."""
    return r.status == VIOLATED or (r.status == VACUOUS and not r.out_of_scope)


@dataclass
class RunResult:
    """The verdict of one engine on one (model, configuration)."""

    model: str
    config: str
    engine: str
    complete: bool
    reason: str = ""  # why incomplete
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0
    peak_memory: int = 0  # bytes (process peak RSS)
    symmetry: bool = False
    symmetry_note: str = ""  # why symmetry reduction was turned off, if it was
    bound: str = ""
    deadlocks: int = 0
    fingerprint: str = ""
    results: list[PropertyResult] = field(default_factory=list)
    coverage: dict[str, int] = field(default_factory=dict)  # action -> transitions fired
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return any(is_failure(r) for r in self.results)

    @property
    def exit_code(self) -> int:
        if self.failed:
            return EXIT_VIOLATION
        if not self.complete or any(r.status == UNKNOWN for r in self.results):
            return EXIT_INCOMPLETE
        return EXIT_OK

    def never_fired(self) -> list[str]:
        return [a for a, n in self.coverage.items() if n == 0]

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["never_fired"] = self.never_fired()
        return d


def combine_exit(runs: list[RunResult]) -> int:
    codes = [r.exit_code for r in runs]
    if EXIT_VIOLATION in codes:
        return EXIT_VIOLATION
    if EXIT_INCOMPLETE in codes:
        return EXIT_INCOMPLETE
    return EXIT_OK


def apply_out_of_scope(run: RunResult, declared: dict[str, str]) -> RunResult:
    """Per-configuration expectations (``Model.out_of_scope``): a declared witness that is
    vacuous is expected, not a failure; one that is reached contradicts the declaration."""
    for r in run.results:
        why = declared.get(r.name)
        if not why:
            continue
        if r.status == VACUOUS:
            r.out_of_scope = why
            r.detail = f"{r.detail}; out of scope here by design: {why}".lstrip("; ")
        elif r.status == REACHED:
            r.status = VIOLATED
            r.detail = (f"declared out of scope in {run.config} ({why}) but reached"
                        + (f" in {r.trace_length} steps" if r.trace_length is not None else ""))
    return run
