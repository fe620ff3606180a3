from rest_framework import serializers
from rest_framework.filters import SearchFilter

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import ListSubscriptionMixin

from .models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class LiveItemListConsumer(ListSubscriptionMixin, GenericAsyncAPIConsumer):
    """list, subscribe_list and unsubscribe_list of items, searchable by name."""

    queryset = Item.objects.order_by("name")
    serializer_class = ItemSerializer
    filter_backends = [SearchFilter]
    search_fields = ["name"]
