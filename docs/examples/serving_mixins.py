from rest_framework import serializers

from djangochannelsrestframework import mixins
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin

from .models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class LiveItemConsumer(
    mixins.ListModelMixin,
    mixins.UpdateModelMixin,
    ObserverModelInstanceMixin,  # brings retrieve (RetrieveModelMixin)
    GenericAsyncAPIConsumer,
):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer
