"""The examples the documentation shows, each run by the test suite.

The pages present them as a user's project: ``quickstart.py`` is ``myapp/consumers.py`` there, so
``asgi.py`` imports it as ``myapp.consumers``.  The finder below makes that import work here, lazily:
importing this package must not import consumers, since settings may not be configured yet (a
settings module or an ASGI entry point may import from ``docs.examples`` first).
"""

import sys
from importlib import import_module
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from importlib.util import spec_from_loader
from types import ModuleType
from typing import Any

ALIASES = {"myapp.consumers": "docs.examples.quickstart"}


class _MyAppAlias(MetaPathFinder, Loader):
    """Resolves ``myapp`` (an empty package) and ``myapp.consumers`` (the quickstart module)."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> ModuleSpec | None:
        if fullname == "myapp":
            return spec_from_loader(fullname, self, is_package=True)
        if fullname in ALIASES:
            return spec_from_loader(fullname, self)
        return None

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return import_module(ALIASES[spec.name]) if spec.name in ALIASES else None

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: ``myapp`` is empty and the aliases are imported modules."""


if not any(isinstance(finder, _MyAppAlias) for finder in sys.meta_path):
    sys.meta_path.append(_MyAppAlias())
