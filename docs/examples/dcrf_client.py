from channels.routing import URLRouter
from django.urls import path
from rest_framework import serializers

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    CreateModelMixin,
    DeleteModelMixin,
    ListModelMixin,
    PatchModelMixin,
    StreamedPaginatedListMixin,
    UpdateModelMixin,
)
from djangochannelsrestframework.multiplexing import AsyncJsonWebsocketDemultiplexer
from djangochannelsrestframework.observer import ObserverModelInstanceMixin, model_observer
from djangochannelsrestframework.pagination import WebsocketLimitOffsetPagination
from djangochannelsrestframework.permissions import AllowAny

from .models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class ItemConsumer(
    ObserverModelInstanceMixin,  # retrieve, subscribe_instance, unsubscribe_instance
    ListModelMixin,
    CreateModelMixin,
    UpdateModelMixin,
    PatchModelMixin,
    DeleteModelMixin,
    GenericAsyncAPIConsumer,
):
    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    permission_classes = [AllowAny]


class PagedItemConsumer(StreamedPaginatedListMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    pagination_class = WebsocketLimitOffsetPagination
    permission_classes = [AllowAny]


class ItemActivityConsumer(AsyncAPIConsumer):
    """A custom subscribe action: every change of every Item."""

    permission_classes = [AllowAny]

    @model_observer(Item, serializer_class=ItemSerializer)
    async def item_activity(self, message, action=None, subscribing_request_ids=(), **kwargs):
        for request_id in subscribing_request_ids:
            await self.reply(action=action, data=message, request_id=request_id)

    @action()
    async def subscribe_activity(self, request_id=None, **kwargs):
        await self.item_activity.subscribe(request_id=request_id)
        return None, 201

    @action()
    async def unsubscribe_activity(self, request_id=None, **kwargs):
        await self.item_activity.unsubscribe(request_id=request_id)
        return None, 204


streams = AsyncJsonWebsocketDemultiplexer.as_asgi(
    items=ItemConsumer.as_asgi(),
    paged=PagedItemConsumer.as_asgi(),
    activity=ItemActivityConsumer.as_asgi(),
)
application = URLRouter([path("ws/", streams)])
