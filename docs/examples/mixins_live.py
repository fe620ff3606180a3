from rest_framework import serializers

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    CreateModelMixin,
    DeleteModelMixin,
    ListModelMixin,
    ListSubscriptionMixin,
    PatchModelMixin,
    RetrieveModelMixin,
    UpdateModelMixin,
)
from djangochannelsrestframework.observer import ObserverModelInstanceMixin

from .models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


# Every CRUD action, a live list and live objects.  The order of the mixins does not matter:
# ListModelMixin before ListSubscriptionMixin and RetrieveModelMixin before
# ObserverModelInstanceMixin are fine (each is already part of the mixin after it).
class ItemConsumer(
    ListModelMixin,
    RetrieveModelMixin,
    CreateModelMixin,
    UpdateModelMixin,
    PatchModelMixin,
    DeleteModelMixin,
    ListSubscriptionMixin,
    ObserverModelInstanceMixin,
    GenericAsyncAPIConsumer,
):
    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
