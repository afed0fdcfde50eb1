"""The native explorer backend: the traced IR compiled to C, built with the system compiler.

``make_explorer`` picks the backend: ``native`` when a C compiler and cffi are available
(else the Python explorer, with a note saying why), or ``python``.
"""

from __future__ import annotations

from typing import Any

from ppcheck.spec.model import System

BACKENDS = ("native", "python")


def unavailable() -> str | None:
    """Why the native backend cannot run here, or None."""
    try:
        import cffi  # noqa: F401
    except ImportError:
        return "cffi is not installed"
    from .build import compiler

    if compiler() is None:
        return "no C compiler found (cc, gcc or $CC)"
    return None


def make_explorer(system: System, backend: str | None = None, workers: int | None = None,
                  **kw: Any) -> tuple[Any, str]:
    """An explorer for ``system`` and a one-line note when the native backend was not used.

    ``backend`` None means native when possible, else python with a note.
    """
    from ..explorer import Explorer

    if backend == "python":
        return Explorer(system, **kw), ""
    why = unavailable()
    if why is None:
        from .cgen import unsupported

        why = unsupported(system)
    if why is not None:
        return Explorer(system, **kw), f"native explorer unavailable ({why}); using the python explorer"
    from .explorer import NativeExplorer

    return NativeExplorer(system, workers=workers, **kw), ""


def run_explorer(system: System, backend: str | None = None, workers: int | None = None,
                 note: Any = None, **kw: Any) -> tuple[Any, Any]:
    """Explore with the chosen backend; returns (RunResult, explorer).

    When the native backend cannot be used, or the C compiler fails on the generated
    source, the Python explorer runs instead and ``note`` receives one line saying so.
    """
    from ..explorer import Explorer
    from .build import BuildError

    ex, why = make_explorer(system, backend, workers, **kw)
    if why and note:
        note(why)
    try:
        return ex.run(), ex
    except BuildError as e:
        if note:
            note(f"{e}; using the python explorer")
        ex = Explorer(system, **kw)
        return ex.run(), ex
