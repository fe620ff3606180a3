from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

from . import broken_consumers as c

application = ProtocolTypeRouter(
    {
        "websocket": URLRouter(
            [
                path("ws/observing/", c.ObservingConsumer.as_asgi()),
                path("ws/guarded/", c.GuardedConsumer.as_asgi()),
                path("ws/searching/", c.SearchingConsumer.as_asgi()),
                path("ws/no-queryset/", c.NoQuerysetConsumer.as_asgi()),
                path("ws/no-serializer/", c.NoSerializerConsumer.as_asgi()),
                path("ws/child/", c.ChildConsumer.as_asgi()),
                path("ws/unmounted/", c.UnmountedConsumer),
                path("ws/model-serializer/", c.ModelAsSerializerConsumer.as_asgi()),
            ]
        )
    }
)
