"""The consumer under load: an instance subscription and a model observer per connection."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from rest_framework import serializers

from djangochannelsrestframework import permissions
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.observer import model_observer
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin
from tests.support.app.models import Item

#: Seconds each model observer event waits before its frame (DCRF_LOAD_EVENT_DELAY): a server that
#: falls behind a burst, as one reading the database slowly does.
EVENT_DELAY = float(os.environ.get("DCRF_LOAD_EVENT_DELAY", "0"))


class LoadItemSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class LoadConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    """``subscribe_instance`` (pk) and ``watch`` (pk): the model observer's events of one object,
    serialized once at commit, so each carries the value of its own commit."""

    queryset = Item.objects.all()
    serializer_class = LoadItemSerializer
    permission_classes = (permissions.AllowAny,)

    @model_observer(Item)
    async def item_changes(
        self, message: Any, action: Any = None, subscribing_request_ids: Any = (), **kwargs: Any
    ) -> None:
        if EVENT_DELAY:
            await asyncio.sleep(EVENT_DELAY)
        for request_id in subscribing_request_ids:
            await self.reply(action=action, data=message, request_id=request_id)

    @item_changes.serializer
    def item_changes(self, instance: Item, action: Any, **kwargs: Any) -> dict[str, Any]:
        return {"id": instance.pk, "value": instance.value}

    @item_changes.groups_for_signal
    def item_changes(self, instance: Item, **kwargs: Any) -> Any:
        yield f"item-{instance.pk}"

    @item_changes.groups_for_consumer
    def item_changes(self, pk: Any = None, **kwargs: Any) -> Any:
        yield f"item-{pk}"

    @action()
    async def watch(self, pk: int, request_id: Any = None) -> tuple[None, int]:
        await self.item_changes.subscribe(pk=pk, request_id=request_id)
        return None, 201
