"""Consumers and an ASGI application for the throttling tests (also served by two processes on Redis)."""

from __future__ import annotations

from typing import Any

from channels.routing import URLRouter
from django.urls import path
from rest_framework import throttling as drf_throttling

from djangochannelsrestframework.consumers import AsyncAPIConsumer, view_as_consumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.permissions import BasePermission
from djangochannelsrestframework.throttling import (
    ActionRateThrottle,
    AnonRateThrottle,
    ConnectionRateThrottle,
    ConnectRateThrottle,
    UserRateThrottle,
)


class ThreePerMinute(UserRateThrottle):
    rate = "3/min"


class PingConsumer(AsyncAPIConsumer):
    throttle_classes = [ThreePerMinute]

    @action()
    async def ping(self, **kwargs: Any) -> tuple[Any, int]:
        return "pong", 200


class AnonConsumer(PingConsumer):
    throttle_classes = [AnonRateThrottle]


class PerSocketConsumer(PingConsumer):
    throttle_classes = [ConnectionRateThrottle]


class UploadConsumer(AsyncAPIConsumer):
    throttle_classes = [ActionRateThrottle]

    @action(throttle_scope="uploads")
    async def upload(self, **kwargs: Any) -> tuple[Any, int]:
        return "stored", 200

    @action()
    async def ping(self, **kwargs: Any) -> tuple[Any, int]:
        return "pong", 200


class ConnectOncePerMinute(ConnectRateThrottle):
    rate = "2/min"


class GuardedConsumer(PingConsumer):
    throttle_classes = [ConnectOncePerMinute, ThreePerMinute]


class DenyOdd(BasePermission):
    async def has_permission(self, scope: Any, consumer: Any, action: str, n: int = 0, **kwargs: Any) -> bool:
        return n % 2 == 0


class DeniedFirstConsumer(PingConsumer):
    permission_classes = [DenyOdd]


class OnePerMinuteDRF(drf_throttling.AnonRateThrottle):
    rate = "1/min"


class DRFThrottledConsumer(PingConsumer):
    throttle_classes = [OnePerMinuteDRF]


def hello_view(request: Any) -> Any:
    from django.http import JsonResponse

    return JsonResponse({"hello": "world"})


#: Throttled by the DEFAULT_THROTTLE_CLASSES setting, through the same gate as the action consumers.
hello_over_websocket = view_as_consumer(hello_view, {"retrieve": "GET"})

application = URLRouter([path("ws/ping/", PingConsumer.as_asgi())])
