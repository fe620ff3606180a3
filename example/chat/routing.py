"""Websocket routes of the demo."""

from django.urls import path

from chat.consumers import RoomConsumer

websocket_urlpatterns = [
    path("ws/chat/", RoomConsumer.as_asgi()),
]
