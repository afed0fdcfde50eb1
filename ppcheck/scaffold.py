"""``ppcheck new NAME --from MODEL``: a starting variant file in the project's layout.

The file is a thin subclass of the parent model: a module docstring naming the patch, a class
docstring naming the commit or thread, one action override with the docstring layout the
models use (which kernel function, which behaviour), and ``MODELS``.  It checks as written
(it behaves exactly like its parent) so the first ``ppcheck check FILE`` is green.
"""

from __future__ import annotations

import inspect
import textwrap


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_") if p) or "Variant"


def variant_source(name: str, parent: type) -> str:
    acts = [a for a in parent.action_defs()
            if all(isinstance(v, (str, int, bool)) or v is bool for v in a.params.values())]
    prefer = [a for a in acts if a.name == "page_pool_napi_local"]
    example = (prefer or acts or [None])[0]
    cls = _camel(name)
    mod = parent.__module__
    override = ""
    if example is not None:
        sig = inspect.signature(example.fn)
        params = ", ".join(list(sig.parameters)[1:])
        doms = ", ".join(f"{k}={'bool' if v is bool else repr(v)}" for k, v in example.params.items())
        if example.who is not None:
            doms = (doms + ", " if doms else "") + f"who={example.who!r}"
        args = ", ".join(list(sig.parameters)[2:])
        override = textwrap.dedent(f'''
            # To change a kernel function, override its action under the same name, e.g.:
            #
            # @action({doms})
            # def {example.name}(self, {params}):
            #     """{example.name}(): what the patched kernel does, in its own terms (the
            #     function, the check it changes, the commit or thread it comes from)."""
            #     super().{example.name}({", ".join(["s"] + ([args] if args else []))})
            #
            # and remove one with `{example.name} = None`.  Add an invariant with @always (its
            # docstring says why the kernel needs it).
        ''').rstrip()
        override = textwrap.indent(override.lstrip("\n"), "    ")
    return f'''"""{name}: a proposed change to {parent.name} (describe the patch: subject, link).

Check it, then compare it with the design it changes:

    ppcheck check {name}.py
    ppcheck diff {parent.name} {name}.py --config {parent.default_configs[0]}
"""

from __future__ import annotations

from ppcheck.spec import action, always, require  # noqa: F401 - what an override needs
from {mod} import {parent.__name__}


class {cls}({parent.__name__}):
    """The patch as a variant of {parent.name}: which commit or posting, and what it changes."""

    name = "{name}"
    default = False

{override}


MODELS = [{cls}]
'''
