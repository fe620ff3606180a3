from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

from . import clean_consumers as c

application = ProtocolTypeRouter(
    {
        "websocket": URLRouter(
            [
                path("ws/observing/", c.ObservingConsumer.as_asgi()),
                path("ws/guarded/", c.GuardedConsumer.as_asgi()),
                path("ws/searching/", c.SearchingConsumer.as_asgi()),
                path("ws/computed/", c.ComputedConsumer.as_asgi()),
                path("ws/items/", c.ItemListConsumer.as_asgi()),
                path("ws/child/", c.ChildConsumer.as_asgi()),
            ]
        )
    }
)
