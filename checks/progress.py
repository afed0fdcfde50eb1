"""One progress line for every long command (check, prove, diff, simulate), on stderr.

On a terminal it is a live ``rich`` line (``[3/11] mainline/rt explorer  1,234,567 states
depth 12  45,000 states/s  0:00:12``); elsewhere (CI logs, pipes) it is a plain line when a
run starts and then one every ``every`` seconds.  Engines that report figures (the explorer's
``progress`` callback) fill them in; the others show the elapsed time.  ``-q`` turns it off.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Any


class ProgressLine:
    def __init__(self, total: int, enabled: bool = True, every: float = 5.0, stream: Any = None):
        self.total = total
        self.enabled = enabled
        self.every = every
        self.stream = stream or sys.stderr
        self.index = 0
        self.label = ""
        self.info: dict[str, Any] = {}
        self.t0 = time.perf_counter()
        self._live: Any = None
        self._task: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> ProgressLine:
        if not self.enabled:
            return self
        if self.tty:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._live = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                  TimeElapsedColumn(), console=Console(file=self.stream),
                                  transient=True)
            self._live.start()
            self._task = self._live.add_task("", total=None)
        else:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self._thread is not None:
            self._thread.join(timeout=1)

    # -- updates -----------------------------------------------------------------------------
    def start(self, label: str) -> None:
        """A new run (or phase) begins: ``label`` names it."""
        with self._lock:
            self.index += 1
            self.label = label
            self.info = {}
            self.t0 = time.perf_counter()
        # off a terminal the ticker prints the line once the run has taken ``every`` seconds:
        # a run that ends (or fails on bad input) at once prints nothing but its result
        if self.enabled and self._live is not None:
            self._live.update(self._task, description=self._text())

    def phase(self, label: str) -> None:
        """A new phase of the current run (same index)."""
        with self._lock:
            self.label = label
            self.t0 = time.perf_counter()
            self.info = {}
        if self.enabled and self._live is not None:
            self._live.update(self._task, description=self._text())

    def update(self, info: dict[str, Any]) -> None:
        """Figures from an engine (the explorer's progress callback)."""
        with self._lock:
            self.info = dict(info)
        if self.enabled and self._live is not None:
            self._live.update(self._task, description=self._text())

    def _text(self) -> str:
        head = f"[{self.index}/{self.total}] {self.label}" if self.total > 1 else self.label
        i = self.info
        parts = [head]
        if "states" in i:
            parts.append(f"{i['states']:,} states")
        if "depth" in i:
            parts.append(f"depth {i['depth']}")
        if "frontier" in i:
            parts.append(f"frontier {i['frontier']:,}")
        if i.get("states_per_s"):
            parts.append(f"{i['states_per_s']:,.0f} states/s")
        if "walks" in i:
            parts.append(f"{i['walks']:,} walks")
        if self._live is None:
            parts.append(f"{time.perf_counter() - self.t0:.0f}s")
        return "  ".join(parts)

    def _print(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed stderr must not stop a check
            print(text, file=self.stream, flush=True)

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            with self._lock:
                text = self._text() if self.label else ""
            if text:
                self._print(text)


class NullProgress(ProgressLine):
    def __init__(self) -> None:
        super().__init__(1, enabled=False)
