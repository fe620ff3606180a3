"""Every name a DCRF 1.3.0 module exposes (its own definitions and the names it imports) imports from
our module of the same path: ``from djangochannelsrestframework.observer.generics import action``
keeps working after the switch.  The names were dumped from DCRF 1.3.0 itself (``nox -s dcrf_names``,
tests/support/dcrf13_names/dump.py), so this runs without the network."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

FIXTURE = Path(__file__).parents[1] / "support" / "dcrf13_names" / "dcrf-1.3.0-names.json"
DCRF_MODULES: dict[str, list[str]] = json.loads(FIXTURE.read_text())["modules"]


def importable(module: ModuleType, name: str) -> bool:
    """Whether ``from module import name`` succeeds: an attribute, or a submodule of a package."""
    if hasattr(module, name):
        return True
    return hasattr(module, "__path__") and importlib.util.find_spec(f"{module.__name__}.{name}") is not None


def test_the_fixture_is_dcrf_130s_whole_package() -> None:
    assert json.loads(FIXTURE.read_text())["distribution"] == "djangochannelsrestframework==1.3.0"
    assert len(DCRF_MODULES) == 16
    assert "action" in DCRF_MODULES["djangochannelsrestframework.observer.generics"]
    assert "view_as_consumer" in DCRF_MODULES["djangochannelsrestframework.consumers"]
    assert "ensure_async" in DCRF_MODULES["djangochannelsrestframework.permissions"]


@pytest.mark.parametrize("path", sorted(DCRF_MODULES))
def test_every_name_of_the_dcrf_module_imports_from_ours(path: str) -> None:
    for other in DCRF_MODULES:  # as in DCRF's dump: a package names the submodules imported so far
        importlib.import_module(other)
    module = importlib.import_module(path)
    missing = [name for name in DCRF_MODULES[path] if not importable(module, name)]
    assert missing == [], f"{path} lacks DCRF 1.3.0's names {missing}"


def test_dcrf_names_for_our_objects_are_those_objects() -> None:
    from rest_framework.permissions import IsAuthenticated as DRFIsAuthenticated

    from djangochannelsrestframework import consumers, decorators, permissions, scope_utils
    from djangochannelsrestframework.observer import generics
    from djangochannelsrestframework.observer.model_observer import ModelObserver

    assert decorators.AsyncAPIConsumer is consumers.AsyncAPIConsumer
    assert generics.action is decorators.action
    assert generics.ModelObserver is ModelObserver
    assert consumers.ensure_async is permissions.ensure_async is scope_utils.ensure_async
    assert isinstance(permissions._ensure_base(DRFIsAuthenticated), permissions.WrappedDRFPermission)
    assert isinstance(permissions._ensure_base(permissions.AllowAny), permissions.AllowAny)
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchName'"):
        decorators.NoSuchName  # noqa: B018
