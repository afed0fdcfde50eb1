"""The registry of models.

Each module listed in :data:`MODULES` defines ``MODELS``, a list of Model classes.
A model with ``default = True`` is part of the main job (`ppcheck check` with no
model named); the others are checked by name (toys, seeded bugs, historical designs).

An installed package registers its own models with an entry point in the group
``ppcheck.models`` (:data:`ENTRY_POINT_GROUP`); the entry point names a Model class, a list
of them, or a module with ``MODELS``::

    [project.entry-points."ppcheck.models"]
    my_patch = "my_pkg.models:MyPatch"

Models outside any registry are loaded from a file or a module by
:mod:`ppcheck.loading` (``ppcheck check path/to/patch.py``).
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any

from ppcheck.spec import Model, SpecError

#: the entry-point group through which installed packages register models
ENTRY_POINT_GROUP = "ppcheck.models"

#: model modules, in listing order
MODULES = [
    "ppcheck.models.toys",
    "ppcheck.models.mainline",
    "ppcheck.models.seed000_refcnt",
    "ppcheck.models.seed001_skb_recycle",
    "ppcheck.models.seed002_netmem",
    "ppcheck.models.seed003_frag",
    "ppcheck.models.seed004_napi_local",
]


def _entry_point_models(ep: Any) -> list[type[Model]]:
    """The models an entry point names (a class, a list of classes, or a module's MODELS)."""
    try:
        obj = ep.load()
    except Exception as e:  # noqa: BLE001 - a broken plug-in is one line, not a traceback
        raise SpecError(f"cannot load the {ENTRY_POINT_GROUP} entry point {ep.name} = {ep.value}: "
                        f"{type(e).__name__}: {e}") from None
    obj = getattr(obj, "MODELS", obj)
    items = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    bad = [x for x in items if not (isinstance(x, type) and issubclass(x, Model))]
    if bad or not items:
        raise SpecError(f"the {ENTRY_POINT_GROUP} entry point {ep.name} = {ep.value} does not name "
                        "a Model class, a list of them, or a module with MODELS")
    return items


def registry() -> dict[str, type[Model]]:
    out: dict[str, type[Model]] = {}
    for mod in MODULES:
        for m in importlib.import_module(mod).MODELS:
            if m.name in out:
                raise SpecError(f"two models are named {m.name!r}")
            out[m.name] = m
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        for m in _entry_point_models(ep):
            if m.name in out and out[m.name] is not m:
                raise SpecError(f"the {ENTRY_POINT_GROUP} entry point {ep.name} registers "
                                f"{m.name!r}, a name already taken")
            out[m.name] = m
    return out


def get_model(name: str) -> type[Model]:
    reg = registry()
    if name not in reg:
        raise SpecError(f"unknown model {name!r} (known: {', '.join(sorted(reg))})")
    return reg[name]


def default_models() -> list[type[Model]]:
    return [m for m in registry().values() if getattr(m, "default", False)]
