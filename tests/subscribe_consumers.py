"""Consumers of the ``subscribe`` mixin tests."""

from __future__ import annotations

from typing import Any

from djangochannelsrestframework import permissions
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import CreateModelMixin
from djangochannelsrestframework.observer.subscribe import SubscribeModelMixin
from tests.app.models import Item
from tests.generic_consumers import ItemSerializer


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
