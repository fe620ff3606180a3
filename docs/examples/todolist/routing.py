# asgi.py: the 0.2 consumer (Channels 3 and later need .as_asgi())
from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

from djangochannelsrestframework.contrib.rest_live.consumers import SubscriptionConsumer

websockets = URLRouter([path("ws/subscribe/", SubscriptionConsumer.as_asgi(), name="subscriptions")])
application = ProtocolTypeRouter({"websocket": AuthMiddlewareStack(websockets)})
