"""ASGI application serving the core test consumers, for the end-to-end tests (uvicorn and daphne)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from tests.support.core_consumers import DenyConnectConsumer, EchoConsumer, GroupConsumer, TaskConsumer  # noqa: E402

websocket_urlpatterns = [
    path("ws/echo/", EchoConsumer.as_asgi()),
    path("ws/groups/", GroupConsumer.as_asgi()),
    path("ws/denied/", DenyConnectConsumer.as_asgi()),
    path("ws/tasks/", TaskConsumer.as_asgi()),
]

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
