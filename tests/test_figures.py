"""The docs' figures tables are the manifest's runs, rendered (checks/figures.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ppcheck.checks import figures

ROOT = Path(__file__).resolve().parent.parent


def _runs() -> dict:
    return json.loads((ROOT / "manifest.json").read_text())["runs"]


@pytest.mark.parametrize("doc", figures.DOCS)
def test_docs_tables_are_the_manifest(doc):
    text = (ROOT / doc).read_text()
    assert "<!-- figures: " in text, f"{doc} has no figures block"
    assert figures.refresh_text(text, _runs()) == text, (
        f"{doc}'s figures differ from manifest.json: run `ppcheck manifest --update`")


def test_a_changed_count_is_noticed():
    runs = _runs()
    text = "x\n<!-- figures: mainline -->\n<!-- /figures -->\ny\n"
    fresh = figures.refresh_text(text, runs)
    assert "| `base` |" in fresh and fresh.startswith("x\n") and fresh.endswith("<!-- /figures -->\ny\n")
    runs["mainline/base/sym"] = dict(runs["mainline/base/sym"], states=1)
    assert figures.refresh_text(fresh, runs) != fresh


def test_a_violation_and_an_incomplete_run_are_shown():
    run = {"states": 5, "transitions": 7, "depth": 2, "seconds": 0.5, "complete": False,
           "verdicts": {"p": "violated", "w": "vacuous", "q": "holds"}}
    table = figures.render({"toy/default/sym": run}, "toy")
    assert "violated: `p`" in table and "witnesses vacuous: `w`" in table and "**incomplete**" in table


def test_an_unknown_model_is_an_error():
    with pytest.raises(ValueError, match="no runs of model 'nosuch'"):
        figures.render(_runs(), "nosuch")
