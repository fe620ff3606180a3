from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/todos/", consumers.TodoConsumer.as_asgi()),
    path("ws/lists/", consumers.TodoListConsumer.as_asgi()),
    path("ws/hello/", consumers.HelloConsumer.as_asgi()),
]
