"""The HTML trace page in a real browser (issue 13.3): headless Chromium loads it with no
console error, and the lanes and the failing field are in the rendered DOM."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ppcheck.checks.traces import load_trace
from ppcheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr",
                           "--v=0", *args], capture_output=True, text=True, timeout=90)


def test_the_counterexample_page_loads_with_lanes_and_the_failing_field(tmp_path):
    trace = ROOT / "counterexamples" / "pp004_first_merged-reuse-no_cache_push_after_destroy.json"
    page = tmp_path / "trace.html"
    assert main(["show", str(trace), "--format", "html", "--out", str(page), "-q"]) == 0
    r = chromium(tmp_path, "--dump-dom", page.as_uri())
    dom = r.stdout
    console = [ln for ln in r.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert not console, console
    rows = len(load_trace(trace).steps)  # the script ran: a row per step, the initial state too
    assert f'data-ready="{rows}"' in dom
    for lane in ("CPU0 softirq (NAPI)", "CPU1 process (driver control)", "page 0", "page 1"):
        assert lane in dom
    assert "id=\"failure\"" in dom and "ghost.cache_after_destroy" in dom
    assert 'data-failing="1"' in dom  # page 0's cell in the last row is the highlighted record


def test_a_page_with_a_script_error_is_caught(tmp_path):
    """The check can fail: a page whose script throws shows up in the console lines."""
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><html><body><script>undefinedFunction();</script></body></html>")
    r = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert any("undefinedFunction" in ln for ln in r.stderr.splitlines())
