"""The golden manifest: every recorded (model, config, symmetry) entry re-runs identically.

Entries are recorded by `ppcheck manifest --update` from real runs. Entries whose
recorded run took longer than CI_SECONDS are left to `ppcheck manifest` (the long job).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ppcheck.checks import manifest
from ppcheck.models import registry

ROOT = Path(__file__).resolve().parent.parent
CI_SECONDS = 60.0
RECORDED = manifest.load(ROOT / "manifest.json")
REG = registry()


def test_every_registered_model_is_in_the_manifest():
    planned = {e.key for e in manifest.plan([m for m in REG.values() if manifest.in_scope(m)])}
    missing = sorted(planned - set(RECORDED))
    assert not missing, f"not recorded (run `ppcheck manifest --update`): {missing}"


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_entry_reproduces(key):
    old = RECORDED[key]
    if old["model"] not in REG:
        pytest.fail(f"{key}: model {old['model']} is no longer registered")
    if old.get("seconds", 0) > CI_SECONDS:
        pytest.skip(f"recorded run took {old['seconds']}s: checked by `ppcheck manifest`")
    entry = manifest.Entry(old["model"], old["config"], key.endswith("/sym"))
    new = manifest.record(entry, REG[old["model"]])
    assert manifest.compare(old, new) == []


def test_compare_reports_a_changed_count():
    old = next(iter(RECORDED.values()))
    changed = dict(old, states=old["states"] + 1)
    assert manifest.compare(changed, old) and "states" in manifest.compare(changed, old)[0]
