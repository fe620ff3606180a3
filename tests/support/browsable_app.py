"""An ASGI application with several kinds of websocket routes, for the browsable API tests."""

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path, re_path
from rest_framework import serializers

from djangochannelsrestframework.consumers import AsyncAPIConsumer, view_as_consumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import CreateModelMixin, ListModelMixin, RetrieveModelMixin

from .app.models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class ItemConsumer(ListModelMixin, RetrieveModelMixin, CreateModelMixin, GenericAsyncAPIConsumer):
    """Items over a websocket."""

    queryset = Item.objects.all()
    serializer_class = ItemSerializer


class ToolsConsumer(AsyncAPIConsumer):
    """Small utilities."""

    @action()
    async def add(self, a: int, b: int = 2, **kwargs):
        """Add two numbers."""
        return {"sum": a + b}, 200

    @action(detached=True)
    async def slow(self, seconds: float = 0.1, **kwargs):
        """Wait, then reply."""
        return None, 200


def item_view(request):
    from django.http import JsonResponse

    return JsonResponse({"ok": True})


application = ProtocolTypeRouter(
    {
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter(
                    [
                        re_path(r"^ws/items/$", ItemConsumer.as_asgi()),
                        path("ws/", URLRouter([path("tools/", ToolsConsumer.as_asgi())])),
                        path("ws/view/", view_as_consumer(item_view)),
                    ]
                )
            )
        )
    }
)
