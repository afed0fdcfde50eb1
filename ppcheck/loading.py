"""Finding a model from what a person types: a name, a file, a module, an entry point.

``ppcheck check REF`` accepts, for every command that takes a model:

* ``mainline``: a registered name (the project's models, and any installed package's
  ``ppcheck.models`` entry points, see :func:`ppcheck.models.registry`);
* ``path/to/patch.py`` or ``path/to/patch.py:Class``: a model file anywhere on disk;
* ``package.module:Class``: a class in an importable module.

A model loaded from a file or a module is remembered with where it came from
(:func:`ppcheck.checks.traces.register_model_source`), so a trace recorded on it says so and
``ppcheck replay`` / ``show`` find it again.  Every failure is a :class:`ModelLoadError`: one
line naming the file and the error (the CLI exits 2), never a traceback.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
import traceback
from pathlib import Path
from typing import Any

from ppcheck.spec.expr import SpecError


class ModelLoadError(SpecError):
    """A model reference that does not name a loadable model."""


def is_file_ref(ref: str) -> bool:
    """``x.py``, ``x.py:Class``, ``./x``, ``dir/x.py``: a path rather than a name."""
    head = ref.rsplit(":", 1)[0] if ref.count(":") == 1 and not ref.endswith(":") else ref
    return head.endswith(".py") or "/" in head


def _split(ref: str) -> tuple[str, str | None]:
    if ":" in ref:
        head, _, cls = ref.rpartition(":")
        if cls and cls.isidentifier():
            return head, cls
    return ref, None


def _error_line(exc: BaseException, path: Path | None) -> str:
    """``line 12: NameError: name 'x' is not defined`` for the innermost frame in ``path``."""
    if isinstance(exc, SyntaxError):
        return f"line {exc.lineno}: SyntaxError: {exc.msg}"
    where = ""
    if path is not None:
        for fr in reversed(traceback.extract_tb(exc.__traceback__)):
            if Path(fr.filename).resolve() == path:
                where = f"line {fr.lineno}: "
                break
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{where}{type(exc).__name__}" + (f": {msg}" if msg else "")


def _models_in(module: Any) -> list[type]:
    """The models a module offers: its ``MODELS`` list, else the Model classes it defines."""
    from ppcheck.spec.model import Model

    declared = getattr(module, "MODELS", None)
    if isinstance(declared, (list, tuple)):
        return [m for m in declared if isinstance(m, type) and issubclass(m, Model)]
    return [v for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, Model) and v is not Model
            and v.__module__ == module.__name__ and getattr(v, "name", "")]


def _pick(models: list[type], cls: str | None, module: Any, what: str) -> list[type]:
    from ppcheck.spec.model import Model

    if cls is not None:
        obj = getattr(module, cls, None)
        if obj is None:
            raise ModelLoadError(f"{what}: no class {cls!r}")
        if not (isinstance(obj, type) and issubclass(obj, Model)):
            raise ModelLoadError(f"{what}: {cls} is not a ppcheck Model class")
        return [obj]
    if not models:
        raise ModelLoadError(f"{what}: defines no model (a Model subclass with a name, or MODELS)")
    return models


def load_file(ref: str) -> list[type]:
    """The model(s) of ``path.py[:Class]`` (all of the file's models without ``:Class``)."""
    head, cls = _split(ref)
    path = Path(head).expanduser()
    shown = head if len(head) <= 200 else head[:197] + "..."
    try:
        if not path.exists():
            raise ModelLoadError(f"model file {shown}: no such file")
        if path.is_dir():
            raise ModelLoadError(f"model file {shown}: is a directory, not a Python file")
        path = path.resolve()
    except OSError as e:
        raise ModelLoadError(f"model file {shown}: {e.strerror or e}") from None
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    modname = f"ppcheck_user_models.{_ident(path.stem)}_{digest}"
    if modname in sys.modules:
        module = sys.modules[modname]
    else:
        spec = importlib.util.spec_from_file_location(modname, path)
        if spec is None or spec.loader is None:
            raise ModelLoadError(f"model file {head}: not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module
        sys.path.insert(0, str(path.parent))
        try:
            spec.loader.exec_module(module)
        except BaseException as e:  # noqa: BLE001 - any failure of user code is one line
            del sys.modules[modname]
            if isinstance(e, KeyboardInterrupt):
                raise
            raise ModelLoadError(f"cannot import model file {head}: {_error_line(e, path)}") from None
        finally:
            sys.path.remove(str(path.parent))
    picked = _pick(_models_in(module), cls, module, f"model file {head}")
    for m in picked:
        _remember(m, f"{path}:{m.__name__}", f"model file {head}")
    return picked


def load_module(ref: str) -> list[type]:
    """``package.module:Class``."""
    modname, cls = _split(ref)
    if cls is None:
        raise ModelLoadError(f"{ref!r}: expected module:Class")
    try:
        module = importlib.import_module(modname)
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, KeyboardInterrupt):
            raise
        path = getattr(e, "filename", None)
        raise ModelLoadError(f"cannot import model module {modname}: "
                             f"{_error_line(e, Path(path).resolve() if path else None)}") from None
    picked = _pick([], cls, module, f"model module {modname}")
    for m in picked:
        _remember(m, f"{modname}:{m.__name__}", f"model module {modname}")
    return picked


def _ident(s: str) -> str:
    out = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in s)
    return out if out and not out[0].isdigit() else f"m_{out}"


def _remember(model: type, source: str, what: str) -> None:
    from ppcheck.checks.traces import register_model_source
    from ppcheck.models import registry

    name = getattr(model, "name", "")
    if not isinstance(name, str) or not name:
        raise ModelLoadError(f"{what}: {model.__name__} has no name (set name = '...')")
    reg = registry()
    if name in reg and reg[name] is not model:
        raise ModelLoadError(
            f"{what}: {model.__name__} is named {name!r}, the name of a registered model "
            "(a variant inherits its parent's name: set name = '...' in the class)")
    register_model_source(name, source, model)


def resolve(ref: str) -> list[type]:
    """Every model ``ref`` names (a file without ``:Class`` may hold several)."""
    from ppcheck.models import get_model

    if not isinstance(ref, str) or not ref.strip():
        raise ModelLoadError("empty model name")
    if is_file_ref(ref):
        return load_file(ref)
    if ":" in ref:
        return load_module(ref)
    return [get_model(ref)]


def resolve_one(ref: str) -> type:
    """The one model ``ref`` names; a file with several needs ``:Class``."""
    ms = resolve(ref)
    if len(ms) != 1:
        names = ", ".join(f"{m.__name__} ({m.name})" for m in ms)
        raise ModelLoadError(f"{ref} defines {len(ms)} models ({names}): name one as {ref}:Class")
    return ms[0]


def model_for_trace(name: str, source: str | None) -> type:
    """The model a trace was recorded on: from its recorded source, else by name."""
    from ppcheck.models import get_model

    if source:
        try:
            ms = resolve(source)
        except ModelLoadError as e:
            raise ModelLoadError(f"the trace's model {name} came from {source}: {e}") from None
        for m in ms:
            if m.name == name:
                return m
        raise ModelLoadError(f"the trace's model {name} is no longer in {source} "
                             f"(it has: {', '.join(m.name for m in ms)})")
    return get_model(name)


def source_lines(fn: Any) -> tuple[str, int, int] | None:
    """(file, first line, last line) of a function (an action), for SARIF and docs."""
    try:
        fn = inspect.unwrap(fn)
        lines, start = inspect.getsourcelines(fn)
        return inspect.getsourcefile(fn) or "", start, start + len(lines) - 1
    except (OSError, TypeError):
        return None


#: what a model's own code raises on a configuration value of the wrong type or range
_BAD_VALUE = (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError,
              ZeroDivisionError, RecursionError)


def build_system(model: type, cfg: Any) -> Any:
    """``build(model, cfg)`` with every failure of the model's code on a bad configuration
    value turned into one :class:`SpecError` line naming the configuration."""
    from ppcheck.spec.model import build

    try:
        return build(model, cfg)
    except SpecError:
        raise
    except MemoryError:
        raise SpecError(f"model {model.name}, configuration {cfg!r}: too large to build "
                        "(out of memory)") from None
    except _BAD_VALUE as e:
        raise SpecError(f"model {model.name}, configuration {cfg!r} does not build: "
                        f"{type(e).__name__}: {e}") from None
