"""The user documentation runs: every ```python block in docs/*.md, and the pasted CLI output.

Each document's ``python`` blocks execute in order in one namespace (a block may use
what an earlier one defined); their ``assert`` lines are the documented results.  A
block that fails names its document and line.  Pasted command output marked with an
``<!-- output: ... -->`` comment is compared with a fresh run, so the docs cannot rot
silently: when the code changes what a reader would see, this test says where.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import pytest

from ppcheck.cli import main

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)


def blocks(doc: str, lang: str) -> list[tuple[int, str]]:
    """The fenced blocks of one language in ``doc``, with the line each starts on."""
    text = (DOCS / doc).read_text()
    out = []
    for m in FENCE.finditer(text):
        if m.group(1) == lang:
            out.append((text.count("\n", 0, m.start()) + 2, m.group(2)))
    return out


def run_doc(doc: str) -> dict:
    ns: dict = {"__name__": f"docs_{doc.replace('.', '_').replace('-', '_')}"}
    found = blocks(doc, "python")
    assert found, f"{doc} has no python blocks"
    for line, src in found:
        try:
            exec(compile(src, f"docs/{doc}:{line}", "exec"), ns)
        except Exception:
            pytest.fail(f"docs/{doc}, block at line {line}:\n{traceback.format_exc()}")
    return ns


# -- spec-language.md ------------------------------------------------------------------

def test_spec_language_examples_run():
    ns = run_doc("spec-language.md")
    # the running example and its seeded-bug variant, beyond the asserts in the page
    assert ns["run"].exit_code == 1  # the last block: NoWrite's vacuous witness
    assert ns["lost"].length == 6


def test_spec_language_error_table_covers_the_trap():
    """The page's z3py trap example raises the message the page quotes."""
    ns = run_doc("spec-language.md")
    assert "Python truth value" in ns["message"]


# -- explorer.md -----------------------------------------------------------------------

def test_explorer_examples_run():
    run_doc("explorer.md")


# -- traces.md -------------------------------------------------------------------------

def _marked_output(doc: str) -> dict[str, str]:
    """``<!-- output: NAME -->`` followed by a ```text block: NAME -> the block."""
    text = (DOCS / doc).read_text()
    pat = re.compile(r"<!-- output: ([\w-]+) -->\s*\n```text\n(.*?)^```", re.M | re.S)
    return {m.group(1): m.group(2) for m in pat.finditer(text)}


@pytest.fixture(scope="module")
def increment_trace(tmp_path_factory):
    out = tmp_path_factory.mktemp("x")
    assert main(["check", "increment", "-q", "--out", str(out)]) == 1
    return out / "increment-default-no_lost_update.json"


def test_traces_json_example_is_what_check_writes(increment_trace):
    import json

    block = _marked_output("traces.md")["trace-json"]
    assert json.loads(block) == json.loads(increment_trace.read_text())


def test_traces_show_output_is_current(increment_trace, capsys):
    capsys.readouterr()
    assert main(["show", str(increment_trace)]) == 0
    out, _ = capsys.readouterr()
    assert out == _marked_output("traces.md")["show"]


def test_traces_replay_output_is_current(increment_trace, capsys):
    capsys.readouterr()
    assert main(["replay", str(increment_trace)]) == 0
    out, _ = capsys.readouterr()
    doc = _marked_output("traces.md")["replay"]
    assert out.replace(str(increment_trace), "/tmp/x/increment-default-no_lost_update.json") == doc


def test_traces_examples_run():
    run_doc("traces.md")


def test_traces_mermaid_output_is_current(increment_trace, capsys):
    capsys.readouterr()
    assert main(["show", "--format", "mermaid", str(increment_trace)]) == 0
    out, _ = capsys.readouterr()
    assert out == _marked_output("traces.md")["show-mermaid"]
