"""One consumer per mistake the checks name."""

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
    """dcrf.E001 (the project has no channel layer)."""

    @model_observer(Item)
    async def item_changes(self, message, **kwargs):
        await self.send_json(message)


class GuardedConsumer(AsyncAPIConsumer):
    """dcrf.E003"""

    permission_classes = IsAuthenticated


class SearchingConsumer(ListModelMixin, GenericAsyncAPIConsumer):
    """dcrf.E004"""

    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    filter_backends = SearchFilter


class NoQuerysetConsumer(ListModelMixin, GenericAsyncAPIConsumer):
    """dcrf.E005"""

    serializer_class = ItemSerializer


class NoSerializerConsumer(ListModelMixin, GenericAsyncAPIConsumer):
    """dcrf.E006"""

    queryset = Item.objects.all()


class BareDecoratorConsumer(AsyncAPIConsumer):
    """dcrf.E007; not routed: found as a subclass."""

    @action
    async def ping(self, **kwargs):
        return "pong", 200


class ParentConsumer(AsyncAPIConsumer):
    @action()
    async def ping(self, **kwargs):
        return "pong", 200


class ChildConsumer(ParentConsumer):
    """dcrf.W002"""

    async def ping(self, **kwargs):
        return "pong!", 200


class UnmountedConsumer(AsyncAPIConsumer):
    """dcrf.E009: routed as the class, without .as_asgi()."""

    @action()
    async def ping(self, **kwargs):
        return "pong", 200


class ModelAsSerializerConsumer(ListModelMixin, GenericAsyncAPIConsumer):
    """dcrf.E010"""

    queryset = Item.objects.all()
    serializer_class = Item
