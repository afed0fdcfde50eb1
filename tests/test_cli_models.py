"""Models from anywhere (issue 13.1): a file, file:Class, module:Class, an entry point; a
variant written outside the tree is checked, diffed, shown, explained and replayed."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from ppcheck.cli import main

VARIANT = '''
"""lock_skipped: the increment with its lock taken but never required (a reviewer's patch)."""

from ppcheck.models.toys import IncrementLock
from ppcheck.spec import action, require


class LockSkipped(IncrementLock):
    """Reads without waiting for the lock: the lost update comes back."""

    name = "lock_skipped"

    @action(t="threads", who="t")
    def acquire(self, s, t):
        """Take the lock without checking it is free (the patch under review)."""
        th = s.threads[t]
        require(th.pc == 0)
        s.locked = True
        th.pc = 1
'''


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def variant(tmp_path):
    p = tmp_path / "elsewhere" / "lock_skipped.py"
    p.parent.mkdir()
    p.write_text(VARIANT)
    return p


def test_the_reviewer_workflow_on_a_file_outside_the_tree(variant, tmp_path, capsys):
    out = tmp_path / "traces"
    code, text, _ = run(["check", str(variant), "-q", "--out", str(out)], capsys)
    assert code == 1 and "lock_skipped" in text and "violated" in text
    assert text.strip().splitlines()[-1].startswith("1 run: 0 hold, 1 violated (lock_skipped/default:")
    trace = out / "lock_skipped-default-no_lost_update.json"
    obj = json.loads(trace.read_text())
    assert obj["source"] == f"{variant.resolve()}:LockSkipped"  # the trace says where its model is
    # diff against the base it changes: a new violation, exit 1
    code, text, _ = run(["diff", "increment_lock", f"{variant}:LockSkipped", "-q", "--out", str(out)], capsys)
    assert code == 1 and "NEW in B: no_lost_update" in text
    assert max(len(line) for line in text.splitlines()) < 120
    # show, explain, replay find the model again from the trace alone
    code, text, _ = run(["show", str(trace)], capsys)
    assert code == 0 and "Take the lock without checking it is free" in text and "is violated" in text
    code, text, _ = run(["explain", str(trace)], capsys)
    assert code == 0 and text.startswith("# lock_skipped: violates `no_lost_update`")
    code, text, _ = run(["replay", str(trace)], capsys)
    assert code == 0 and "replays: " in text
    # export and simulate take a file too
    code, text, _ = run(["export", str(variant)], capsys)
    assert code == 0 and "proctype" in text
    code, text, _ = run(["simulate", str(variant), "--walks", "50", "-q", "--out", str(out)], capsys)
    assert code == 1 and "violated" in text


def test_replay_of_a_file_model_in_a_fresh_process(variant, tmp_path):
    """The recorded source is all a new process needs (nothing registered in memory)."""
    import subprocess

    out = tmp_path / "t"
    assert main(["check", str(variant), "-q", "--out", str(out)]) == 1
    r = subprocess.run([sys.executable, "-m", "ppcheck.cli", "replay",
                        str(out / "lock_skipped-default-no_lost_update.json")],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and "replays" in r.stdout, r.stderr


def test_a_trace_whose_model_file_is_gone_is_one_error(variant, tmp_path, capsys):
    out = tmp_path / "t"
    main(["check", str(variant), "-q", "--out", str(out)])
    moved = tmp_path / "moved.py"
    variant.rename(moved)
    sys.modules.pop(next(k for k in list(sys.modules) if k.startswith("ppcheck_user_models.lock_")), None)
    code, _, err = run(["replay", str(out / "lock_skipped-default-no_lost_update.json")], capsys)
    assert code == 2 and err.count("\n") == 1 and "no such file" in err
    code, _, _ = run(["replay", str(out / "lock_skipped-default-no_lost_update.json"),
                      "--model", str(moved)], capsys)
    assert code == 0


def test_module_colon_class(tmp_path, monkeypatch, capsys):
    (tmp_path / "review_pkg.py").write_text(VARIANT)
    monkeypatch.syspath_prepend(str(tmp_path))
    code, text, _ = run(["check", "review_pkg:LockSkipped", "-q", "--out", str(tmp_path)], capsys)
    assert code == 1 and "lock_skipped" in text


def test_entry_point_registers_a_model(tmp_path, monkeypatch, capsys):
    (tmp_path / "ep_models.py").write_text(VARIANT.replace('"lock_skipped"', '"ep_lock_skipped"'))
    dist = tmp_path / "ep_models-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-models\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[ppcheck.models]\nlock = ep_models:LockSkipped\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    code, out, _ = run(["list", "--json"], capsys)
    assert code == 0 and "ep_lock_skipped" in {m["model"] for m in json.loads(out)["models"]}
    code, out, _ = run(["check", "ep_lock_skipped", "-q", "--out", str(tmp_path)], capsys)
    assert code == 1


@pytest.mark.parametrize("body, match", [
    ("import no_such_module_xyz\n", "ModuleNotFoundError: No module named 'no_such_module_xyz'"),
    ("def f(:\n", "line 1: SyntaxError"),
    ("x = 1\n\nraise RuntimeError('boom')\n", "line 3: RuntimeError: boom"),
    ("x = 1\n", "defines no model"),
    ("from ppcheck.models.toys import Increment\nclass Mine(Increment):\n    pass\n",
     "a variant inherits its parent's name"),
    ("from ppcheck.models.toys import Increment\nclass Mine(Increment):\n    name = 'increment_lock'\n",
     "the name of a registered model"),
])
def test_a_model_file_that_does_not_load_is_one_line_exit_2(tmp_path, capsys, body, match):
    p = tmp_path / "broken_patch.py"
    p.write_text(body)
    for argv in (["check", str(p)], ["prove", str(p)], ["diff", "increment", str(p)],
                 ["simulate", str(p)], ["export", str(p)]):
        code, _, err = run(argv, capsys)
        assert code == 2, argv
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "broken_patch.py" in lines[0] and match in lines[0], (argv, err)


def test_a_file_with_two_models_needs_a_class_where_one_is_taken(tmp_path, capsys):
    p = tmp_path / "two.py"
    p.write_text(VARIANT + textwrap.dedent('''
        class Other(LockSkipped):
            """another"""
            name = "other_variant"
        '''))
    code, _, err = run(["diff", "increment_lock", str(p)], capsys)
    assert code == 2 and "defines 2 models" in err and "two.py:Class" in err
    code, out, _ = run(["check", str(p), "-q", "--out", str(tmp_path)], capsys)
    assert code == 1 and "2 runs" in out


def test_new_writes_a_variant_that_checks(tmp_path, capsys):
    p = tmp_path / "my_patch.py"
    code, out, _ = run(["new", "my_patch", "--from", "increment_lock", "--out", str(p)], capsys)
    assert code == 0 and p.exists() and "ppcheck check" in out
    src = p.read_text()
    assert '"""my_patch: a proposed change to increment_lock' in src and "MODELS = [MyPatch]" in src
    code, out, _ = run(["check", str(p), "-q", "--out", str(tmp_path)], capsys)
    assert code == 0 and "1 run: 1 hold" in out  # as written it behaves like its parent
    code, _, err = run(["new", "my_patch", "--from", "increment_lock", "--out", str(p)], capsys)
    assert code == 2 and "exists" in err
    code, _, err = run(["new", "not-a-name"], capsys)
    assert code == 2 and "identifier" in err


def test_new_from_mainline_has_the_project_layout(tmp_path, capsys):
    p = tmp_path / "pd.py"
    assert run(["new", "pd", "--from", "mainline", "--out", str(p)], capsys)[0] == 0
    src = p.read_text()
    assert "class Pd(Mainline)" in src and "def page_pool_napi_local(self, s, c)" in src
    compile(src, str(p), "exec")
