"""Routes to consumers with live data: an instance subscription and a live list."""

from channels.routing import URLRouter
from django.urls import path

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin
from djangochannelsrestframework.observer.lists import ListSubscriptionMixin
from tests.support.app.models import Item

from .clean_consumers import ItemSerializer


class LiveItemConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer


class LiveListConsumer(ListSubscriptionMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer


application = URLRouter([path("ws/item/", LiveItemConsumer.as_asgi()), path("ws/items/", LiveListConsumer.as_asgi())])
