from django.urls import path

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action


class GreetingConsumer(AsyncAPIConsumer):
    @action()
    async def greet(self, name: str):
        return {"greeting": f"Hello, {name}!"}, 200


websocket_urlpatterns = [
    path("ws/greet/", GreetingConsumer.as_asgi()),
]
