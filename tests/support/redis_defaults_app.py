# ruff: noqa: E402
"""Every kind of consumer we ship, on one Redis-layer server (tests/fault/test_redis_socket_timeout.py):
live lists and instance subscriptions behind our demultiplexer, a model observer (the process
fan-out), a quiet action consumer and a view as consumer; and a plain channels consumer in a group,
which redis-py 8's socket timeout tears down."""

from __future__ import annotations

from typing import Any

import django

django.setup()  # served by uvicorn as a module: set Django up before importing models

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import URLRouter
from django.urls import path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from djangochannelsrestframework.consumers import AsyncAPIConsumer, view_as_consumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import CreateModelMixin, ListSubscriptionMixin
from djangochannelsrestframework.multiplexing import AsyncJsonWebsocketDemultiplexer
from djangochannelsrestframework.observer import ObserverModelInstanceMixin, model_observer
from djangochannelsrestframework.permissions import AllowAny
from tests.support.app.models import Item


class ItemSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class LiveItems(CreateModelMixin, ListSubscriptionMixin, ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    permission_classes = [AllowAny]


class ItemActivity(AsyncAPIConsumer):
    permission_classes = [AllowAny]

    @model_observer(Item, serializer_class=ItemSerializer)
    async def item_activity(self, message: Any, action: Any = None, subscribing_request_ids: Any = (), **kwargs: Any):
        for request_id in subscribing_request_ids:
            await self.reply(action=action, data=message, request_id=request_id)

    @action()
    async def watch(self, request_id: Any = None, **kwargs: Any) -> tuple[None, int]:
        await self.item_activity.subscribe(request_id=request_id)
        return None, 201


class Quiet(AsyncAPIConsumer):
    permission_classes = [AllowAny]

    @action()
    async def ping(self, **kwargs: Any) -> tuple[str, int]:
        return "pong", 200


class HelloView(APIView):
    permission_classes: list[Any] = []

    def get(self, request: Any) -> Response:
        return Response({"hello": "world"})


class PlainGroupConsumer(AsyncJsonWebsocketConsumer):
    """A plain channels consumer in a group: nothing of ours guards its channel-layer reads."""

    groups = ["redis-defaults-plain"]

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_json({"echo": content})


application = URLRouter(
    [
        path("ws/multiplexed/", AsyncJsonWebsocketDemultiplexer.as_asgi(items=LiveItems.as_asgi())),
        path("ws/activity/", ItemActivity.as_asgi()),
        path("ws/quiet/", Quiet.as_asgi()),
        path("ws/view/", view_as_consumer(HelloView.as_view())),
        path("ws/plain/", PlainGroupConsumer.as_asgi()),
    ]
)
