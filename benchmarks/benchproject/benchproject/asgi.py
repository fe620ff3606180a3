"""ASGI entry point. ``BENCH_IMPL=floor`` serves the hand-written channels consumers, ``lean`` the same
without channels' per-message thread hop;
anything else serves the framework consumers (DCRF 1.3 or ours, whichever is installed)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproject.settings")

import django

django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

if os.environ.get("BENCH_IMPL") == "floor":
    from bench import floor as consumers
elif os.environ.get("BENCH_IMPL") == "lean":
    from bench import lean as consumers  # type: ignore[no-redef]
else:
    from bench import consumers  # type: ignore[no-redef]

websocket_routes = [
    path("ws/echo/", consumers.EchoConsumer.as_asgi()),
    path("ws/rows/", consumers.RowConsumer.as_asgi()),
]
if getattr(consumers, "HAVE_MULTIPLEXING", False):
    # The echo consumer behind the demultiplexer, to measure what the stream envelope costs per frame.
    streams = consumers.AsyncJsonWebsocketDemultiplexer.as_asgi(echo=consumers.EchoConsumer.as_asgi())
    websocket_routes.append(path("ws/mux/", streams))
if consumers.HAVE_OBSERVER:
    websocket_routes.append(path("ws/observe/", consumers.ObserveConsumer.as_asgi()))
if getattr(consumers, "HAVE_LIVE_LISTS", False):
    websocket_routes.append(path("ws/live/", consumers.LiveListConsumer.as_asgi()))

if os.environ.get("BENCH_IMPL") == "raw":  # raw_echo.py: no channels at all
    from bench import raw

    application = raw.application
else:
    application = ProtocolTypeRouter({"websocket": URLRouter(websocket_routes)})
