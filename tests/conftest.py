"""Test-session settings shared by every test module."""

import os

# pytest-xdist already runs one test process per core: one BFS thread each (the native
# explorer's default is every core; any count gives the same states, traces and verdicts)
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("PPCHECK_WORKERS", "1")
