import asyncio

from django.contrib.auth.models import User
from rest_framework.exceptions import NotFound

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action, detached, detail_action, list_action


class ToolsConsumer(AsyncAPIConsumer):
    @action(name="add")
    async def add_numbers(self, a: int, b: int):
        return {"sum": a + b}, 200

    @action()
    async def tag(self, tags: list, options: dict | None = None):
        return {"tags": tags, "options": options}, 200

    @action(atomic=True)
    def create_user(self, username: str):
        # A sync action: it runs in a worker thread, inside a transaction because of atomic=True.
        user = User.objects.create(username=username)
        return {"id": user.pk, "username": user.username}, 201

    @action(detached=True)
    async def wait(self, seconds: float):
        await asyncio.sleep(seconds)
        return {"waited": seconds}, 200

    @action()
    async def ping(self):
        return "pong", 200


class ClockConsumer(AsyncAPIConsumer):
    @action()
    async def start_clock(self, request_id=None, **kwargs):
        await self.clock(request_id)  # returns at once; the clock runs as a task of this connection
        return {"started": True}, 200

    @detached
    async def clock(self, request_id):
        tick = 0
        while True:
            await asyncio.sleep(0.2)
            tick += 1
            await self.reply(action="tick", data={"tick": tick}, request_id=request_id)

    @action()
    async def stop_clock(self, **kwargs):
        stopped = await self.cancel_detached_tasks("clock")
        return {"stopped": stopped}, 200


NOTES = {1: "Buy milk", 2: "Call Bob"}


class NoteConsumer(AsyncAPIConsumer):
    """``detail_action`` needs a ``get_object``; GenericAsyncAPIConsumer provides one for models."""

    def get_object(self, pk: int, **kwargs):
        if pk not in NOTES:
            raise NotFound()
        return {"pk": pk, "text": NOTES[pk]}

    @detail_action()
    async def shout(self, instance, **kwargs):
        return {"pk": instance["pk"], "text": instance["text"].upper()}, 200

    @list_action()
    async def count(self, **kwargs):
        return {"count": len(NOTES)}, 200
