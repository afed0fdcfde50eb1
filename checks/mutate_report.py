"""Reporting a mutation run: the summary, the kill table per action, the survivors.

The *mutation score* is the share of non-equivalent, valid mutants that a kernel property
kills: ``killed / (killed + killed_by_lemma + survived + incomplete)``.  A mutant only a proof
lemma notices counts against the score (the kernel properties miss it), and so does one the
budget cut short: an incomplete run is never reported as a kill.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .mutate import BY_LEMMA, EQUIVALENT, INCOMPLETE, INVALID, KILLED, STATUSES, SURVIVED, MutantResult

COLUMNS = (KILLED, BY_LEMMA, SURVIVED, EQUIVALENT, INCOMPLETE, INVALID)
HEAD = {KILLED: "killed", BY_LEMMA: "lemma only", SURVIVED: "survived", EQUIVALENT: "equivalent",
        INCOMPLETE: "incomplete", INVALID: "invalid"}


def counts(results: Iterable[MutantResult]) -> dict[str, int]:
    c = {s: 0 for s in STATUSES}
    for r in results:
        c[r.status] += 1
    return c


def score(c: dict[str, int]) -> float | None:
    """Killed over non-equivalent valid mutants (None when there are none)."""
    denom = c[KILLED] + c[BY_LEMMA] + c[SURVIVED] + c[INCOMPLETE]
    return None if denom == 0 else c[KILLED] / denom


def per_action(results: list[MutantResult]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in results:
        out.setdefault(r.action, {s: 0 for s in STATUSES})[r.status] += 1
    return out


def summary(model: str, results: list[MutantResult], planned: int, interrupted: bool = False
            ) -> dict[str, Any]:
    c = counts(results)
    sc = score(c)
    dead = dead_equivalent(results)
    eq = f"{c[EQUIVALENT]} equivalent" + (f" ({dead} only modulo dead fields)" if dead else "")
    text = (f"{model}: {len(results)} mutants: {c[KILLED]} killed, {c[BY_LEMMA]} only by a lemma, "
            f"{c[SURVIVED]} survived, {eq}, {c[INCOMPLETE]} incomplete, "
            f"{c[INVALID]} invalid; score "
            + ("n/a" if sc is None else f"{100 * sc:.1f}%") + " of non-equivalent killed")
    if interrupted or len(results) < planned:
        text += f"; interrupted after {len(results)} of {planned}"
    return {"text": text, "mutants": len(results), "planned": planned, "interrupted": interrupted,
            "score": None if sc is None else round(sc, 4), **c, "equivalent_dead": dead}


def dead_equivalent(results: Iterable[MutantResult]) -> int:
    """Equivalent mutants that only the finer rule (modulo dead fields) calls equivalent: under
    the exact rule each would be a survivor or a lemma's kill, never a kernel property's (a
    kernel property reads no dead field), so the exact rule's score is killed over the
    denominator plus these."""
    return sum(1 for r in results if r.status == EQUIVALENT and "modulo dead fields" in r.detail)


def _pct(c: dict[str, int]) -> str:
    sc = score(c)
    return "-" if sc is None else f"{100 * sc:.0f}%"


def _cell(s: str) -> str:
    return s.replace("|", "\\|")


def markdown(model: str, configs: list[str], results: list[MutantResult]) -> str:
    """The kill table per action and in total, then every survivor with its mutated line."""
    rows = per_action(results)
    lines = [f"Model `{model}`, configurations {', '.join(configs)}.", "",
             "| action | mutants | " + " | ".join(HEAD[s] for s in COLUMNS) + " | score |",
             "|---|---:|" + "---:|" * len(COLUMNS) + "---:|"]
    for action, c in rows.items():
        lines.append(f"| `{action}` | {sum(c.values())} | " + " | ".join(str(c[s]) for s in COLUMNS)
                     + f" | {_pct(c)} |")
    tot = counts(results)
    lines.append(f"| **total** | **{len(results)}** | " + " | ".join(f"**{tot[s]}**" for s in COLUMNS)
                 + f" | **{_pct(tot)}** |")
    dead = dead_equivalent(results)
    if dead:
        lines += ["", f"{dead} of the {tot[EQUIVALENT]} equivalent mutants are equivalent only modulo "
                  "dead fields (docs/mutation.md); under the exact rule the score would be "
                  + _pct({**tot, EQUIVALENT: tot[EQUIVALENT] - dead, SURVIVED: tot[SURVIVED] + dead}) + "."]
    lines += ["", "By operator:", "", "| operator | mutants | killed | survived | equivalent | score |",
              "|---|---:|---:|---:|---:|---:|"]
    ops: dict[str, list[MutantResult]] = {}
    for r in results:
        ops.setdefault(r.operator, []).append(r)
    for op, rs in ops.items():
        c = counts(rs)
        lines.append(f"| {op} | {len(rs)} | {c[KILLED]} | {c[SURVIVED]} | {c[EQUIVALENT]} | {_pct(c)} |")
    left = [r for r in results if r.status in (SURVIVED, BY_LEMMA, INCOMPLETE, INVALID)]
    if left:
        lines += ["", "Not killed by a kernel property:", "",
                  "| mutant | status | mutation | line |", "|---|---|---|---|"]
        for r in left:
            why = r.status + (f" ({r.property})" if r.status == BY_LEMMA else "")
            lines.append(f"| `{r.id}` | {why} | {_cell(r.label)} | `{r.where}`: `{_cell(r.line)}` |")
    return "\n".join(lines) + "\n"


def text(model: str, configs: list[str], results: list[MutantResult]) -> str:
    """The console report: per-action counts, then the survivors."""
    rows = per_action(results)
    w = max([len(a) for a in rows] + [6])
    out = [f"{'action':<{w}}  " + "  ".join(f"{HEAD[s]:>10}" for s in COLUMNS) + "   score"]
    for action, c in rows.items():
        out.append(f"{action:<{w}}  " + "  ".join(f"{c[s]:>10}" for s in COLUMNS) + f"  {_pct(c):>6}")
    tot = counts(results)
    out.append(f"{'total':<{w}}  " + "  ".join(f"{tot[s]:>10}" for s in COLUMNS) + f"  {_pct(tot):>6}")
    left = [r for r in results if r.status in (SURVIVED, BY_LEMMA, INCOMPLETE, INVALID)]
    if left:
        out.append("")
        out.append("not killed by a kernel property:")
        for r in left:
            extra = f" ({r.property})" if r.status == BY_LEMMA else (f" ({r.detail})" if r.detail else "")
            out.append(f"  {r.status:<15} {r.id}: {r.label}{extra}")
            out.append(f"  {'':<15} {r.where}: {r.line}")
    return "\n".join(out) + "\n"


def record_score(path: Path, model: str, name: str, argv: list[str], configs: list[str],
                 fingerprints: str, summ: dict[str, Any], results: list[MutantResult]) -> str:
    """Store a run's score as ``models[model][name]`` of the scores file (``ppcheck mutate
    --record NAME``); '' on success, else the one-line reason."""
    import json

    from .traces import write_atomic

    try:
        rec = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError) as e:
        return f"cannot read {path}: {e}"
    rec.setdefault("note", "recorded by `ppcheck mutate MODEL ... --record NAME`; do not edit by hand. "
                           "tests/test_mutate.py re-runs each entry's arguments with --min-score.")
    rec.setdefault("models", {}).setdefault(model, {})[name] = {
        "args": argv, "configs": configs, "fingerprints": fingerprints,
        "generated": summ.get("generated"), "mutants": summ["mutants"],
        "counts": {s: summ[s] for s in STATUSES}, "score": summ["score"], "min_score": summ["score"],
        "killed_ids": sorted(r.id for r in results if r.status == KILLED)}
    try:
        write_atomic(path, json.dumps(rec, indent=1) + "\n")
    except OSError as e:
        return f"cannot write {path}: {e.strerror or e}"
    return ""
