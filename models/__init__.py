"""The registry of models.

Each module listed in :data:`MODULES` defines ``MODELS``, a list of Model classes.
A model with ``default = True`` is part of the main job (`ppcheck check` with no
model named); the others are checked by name (toys, seeded bugs, historical designs).
"""

from __future__ import annotations

import importlib

from ppcheck.spec import Model, SpecError

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


def registry() -> dict[str, type[Model]]:
    out: dict[str, type[Model]] = {}
    for mod in MODULES:
        for m in importlib.import_module(mod).MODELS:
            if m.name in out:
                raise SpecError(f"two models are named {m.name!r}")
            out[m.name] = m
    return out


def get_model(name: str) -> type[Model]:
    reg = registry()
    if name not in reg:
        raise SpecError(f"unknown model {name!r} (known: {', '.join(sorted(reg))})")
    return reg[name]


def default_models() -> list[type[Model]]:
    return [m for m in registry().values() if getattr(m, "default", False)]
