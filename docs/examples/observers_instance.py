from rest_framework import serializers

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.observer import ObserverModelInstanceMixin
from djangochannelsrestframework.permissions import BasePermission

from .models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class HideNegativeItems(BasePermission):
    """Items with a negative value are private: no reads, no events."""

    async def has_permission(self, scope, consumer, action, **kwargs):
        return True

    def has_object_permission(self, scope, consumer, action, obj, **kwargs):
        return obj.value >= 0


class LiveItemConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    permission_classes = [HideNegativeItems]
