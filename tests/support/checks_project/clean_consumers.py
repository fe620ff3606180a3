"""Consumers without mistakes, each a counterpart of one in broken_consumers.py."""

from rest_framework import serializers
from rest_framework.filters import SearchFilter

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import ListModelMixin
from djangochannelsrestframework.observer import model_observer
from djangochannelsrestframework.permissions import IsAuthenticated
from tests.support.app.models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name"]


class ObservingConsumer(AsyncAPIConsumer):
    @model_observer(Item)
    async def item_changes(self, message, **kwargs):
        await self.send_json(message)


class GuardedConsumer(AsyncAPIConsumer):
    permission_classes = [IsAuthenticated]


class SearchingConsumer(ListModelMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    filter_backends = [SearchFilter]


class ComputedConsumer(ListModelMixin, GenericAsyncAPIConsumer):
    """Its queryset and serializer come from methods."""

    def get_queryset(self, **kwargs):
        return Item.objects.all()

    def get_serializer_class(self, **kwargs):
        return ItemSerializer


class BaseListConsumer(ListModelMixin, GenericAsyncAPIConsumer):
    """A base class: its subclasses set the queryset and serializer."""


class ItemListConsumer(BaseListConsumer):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer


class ParentConsumer(AsyncAPIConsumer):
    @action()
    async def ping(self, **kwargs):
        return "pong", 200


class ChildConsumer(ParentConsumer):
    @action()
    async def ping(self, **kwargs):
        return "pong!", 200
