import re

from rest_framework.exceptions import ValidationError

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action


class CounterConsumer(AsyncAPIConsumer):
    """Each connection has its own consumer instance, so ``self.count`` is per socket."""

    async def connect(self):
        self.count = 0
        await self.accept()

    @action()
    async def increment(self, by: int = 1, **kwargs):
        self.count += by
        return {"count": self.count}, 200

    @action()
    async def countdown(self, start: int, request_id=None, **kwargs):
        for number in range(start, 0, -1):
            await self.reply(action="countdown", data={"number": number}, request_id=request_id)
        # Returning None sends nothing more: the replies above were the answer.


ROOM_NAME = re.compile(r"^[a-z0-9-]{1,50}$")


class RoomConsumer(AsyncAPIConsumer):
    """Clients join rooms (channel-layer groups) and say things to everyone in a room."""

    def group_name(self, room: str) -> str:
        if not ROOM_NAME.match(room):
            raise ValidationError({"room": ["Use 1-50 lower-case letters, digits and dashes."]})
        return f"room-{room}"

    @action()
    async def join(self, room: str, **kwargs):
        await self.add_group(self.group_name(room))
        return {"joined": room}, 200

    @action()
    async def leave(self, room: str, **kwargs):
        await self.remove_group(self.group_name(room))
        return {"left": room}, 200

    @action()
    async def say(self, room: str, text: str, **kwargs):
        event = {"type": "room.message", "room": room, "text": text}
        await self.channel_layer.group_send(self.group_name(room), event)
        return {"sent": True}, 200

    async def room_message(self, event):
        """Handler for ``room.message`` events: one per member of the group."""
        await self.reply(action="message", data={"room": event["room"], "text": event["text"]})
