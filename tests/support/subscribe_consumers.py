"""Consumers of the ``subscribe`` mixin tests."""

from __future__ import annotations

from typing import Any

from djangochannelsrestframework import permissions
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import CreateModelMixin
from djangochannelsrestframework.observer.subscribe import SubscribeModelMixin
from tests.support.app.models import Item
from tests.support.generic_consumers import ItemSerializer


class SubscribeItemConsumer(SubscribeModelMixin, CreateModelMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    permission_classes = (permissions.AllowAny,)


class PositiveItemConsumer(SubscribeModelMixin, GenericAsyncAPIConsumer):
    """Items with a negative value are not this socket's to see."""

    serializer_class = ItemSerializer
    permission_classes = (permissions.AllowAny,)

    def get_queryset(self, **kwargs: Any) -> Any:
        return Item.objects.filter(value__gte=0)


class NonNegativeObjects(permissions.BasePermission):
    """Every action, but only objects whose value is not negative."""

    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        return True

    async def has_object_permission(
        self, scope: dict[str, Any], consumer: Any, action: str, obj: Any, **kwargs: Any
    ) -> bool:
        return bool(obj.value >= 0)


class GuardedSubscribeConsumer(SubscribeModelMixin, GenericAsyncAPIConsumer):
    """Sees every object, but its object permission hides negative ones."""

    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    permission_classes = (NonNegativeObjects,)
