from channels.routing import URLRouter
from django.urls import path
from rest_framework import serializers

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import CreateModelMixin, ListModelMixin
from djangochannelsrestframework.multiplexing import AsyncJsonWebsocketDemultiplexer
from djangochannelsrestframework.permissions import AllowAny, IsAuthenticated

from .models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class ItemConsumer(ListModelMixin, CreateModelMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    permission_classes = [AllowAny]


class AccountConsumer(AsyncAPIConsumer):
    permission_classes = [IsAuthenticated]

    @action()
    async def whoami(self, **kwargs):
        return {"username": self.scope["user"].username}, 200


application = URLRouter(
    [
        path(
            "ws/",
            AsyncJsonWebsocketDemultiplexer.as_asgi(
                items=ItemConsumer.as_asgi(),
                account=AccountConsumer.as_asgi(),
            ),
        ),
    ]
)
