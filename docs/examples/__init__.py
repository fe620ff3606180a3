"""The examples the documentation shows, each run by the test suite.

The pages present them as a user's project: ``quickstart.py`` is ``myapp/consumers.py`` there, so
``asgi.py`` imports it as ``myapp.consumers``; the alias below makes that import work here.
"""

import sys
from importlib import import_module
from types import ModuleType

if "myapp" not in sys.modules:
    _myapp = ModuleType("myapp")
    _myapp.__path__ = []  # a package, so ``myapp.consumers`` resolves through sys.modules
    sys.modules["myapp"] = _myapp
    _myapp.consumers = sys.modules["myapp.consumers"] = import_module("docs.examples.quickstart")  # type: ignore[attr-defined]
