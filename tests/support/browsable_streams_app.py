"""The docs' multiplexing example served with the browsable page (HTTP) beside it, for the browser test."""

from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

from docs.examples.multiplexing import application as websocket_application

application = ProtocolTypeRouter({"http": get_asgi_application(), "websocket": websocket_application})
