"""ppcheck: a model-checked specification of the Linux kernel page_pool.

The sub-packages live at the top of the source tree (``spec/``, ``models/``,
``checks/``, ``impl/``) and are installed as ``ppcheck.spec`` and so on.  When this
package is imported from a source checkout (the repository root is on ``sys.path``,
e.g. ``python -m pytest`` there), the checkout's top-level folders serve as those
sub-packages, so the source tree and an installed copy behave alike.
"""

import os as _os

__version__ = "0.1.0"

_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _os.path.isfile(_os.path.join(_root, "pyproject.toml")) and _os.path.isfile(
        _os.path.join(_root, "spec", "schema.py")):
    __path__.append(_root)  # noqa: F821 - the package's own search path
