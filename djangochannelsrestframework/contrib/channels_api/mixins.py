"""channels-api's ``mixins`` module: its names for the actions a binding is built from.

``class MyBinding(RetrieveModelMixin, SubscribeModelMixin, ResourceBindingBase)`` composes a
binding as in channels-api; each name is the class of :mod:`.bindings` that implements the action.
"""

from __future__ import annotations

from typing import Any

from .bindings import (
    CreateResourceMixin,
    DeleteResourceMixin,
    ListResourceMixin,
    PatchResourceMixin,
    RetrieveResourceMixin,
    SubscribeResourceMixin,
    UpdateResourceMixin,
)

CreateModelMixin = CreateResourceMixin
RetrieveModelMixin = RetrieveResourceMixin
ListModelMixin = ListResourceMixin
UpdateModelMixin = UpdateResourceMixin
PatchModelMixin = PatchResourceMixin
DeleteModelMixin = DeleteResourceMixin
SubscribeModelMixin = SubscribeResourceMixin


class SerializerMixin:
    """channels-api's serializer helpers; a binding has ``get_serializer`` and its kin already, so
    this adds only ``serialize_data``."""

    def serialize_data(self, instance: Any) -> Any:
        """``instance`` as the binding's serializer renders it."""
        return self.get_serializer(instance=instance).data  # type: ignore[attr-defined]


__all__ = [
    "CreateModelMixin",
    "DeleteModelMixin",
    "ListModelMixin",
    "PatchModelMixin",
    "RetrieveModelMixin",
    "SerializerMixin",
    "SubscribeModelMixin",
    "UpdateModelMixin",
]
