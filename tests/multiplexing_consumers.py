"""Consumers the demultiplexer tests put on streams."""

from __future__ import annotations

import asyncio
from typing import Any

from djangochannelsrestframework import permissions
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.multiplexing import AsyncJsonWebsocketDemultiplexer
from tests.generic_consumers import ItemConsumer, StreamedItemConsumer
from tests.observer_consumers import ItemInstanceConsumer


class EchoConsumer(AsyncAPIConsumer):
    """Echoes, fails on request, joins groups and runs a task that only ends when cancelled."""

    permission_classes = (permissions.AllowAny,)
    started: list[str] = []
    cancelled: list[str] = []

    @action()
    async def echo(self, text: str) -> tuple[Any, int]:
        return {"text": text, "channel": self.channel_name is not None}, 200

    @action()
    async def fail(self) -> tuple[Any, int]:
        raise RuntimeError("a bug in this stream's consumer")

    @action()
    async def join(self, group: str) -> tuple[Any, int]:
        await self.add_group(group)
        return sorted(self.groups), 200

    @action()
    async def bye(self) -> None:
        await self.close(code=4000)

    @action(detached=True)
    async def wait_forever(self, request_id: Any = None) -> None:
        type(self).started.append(str(request_id))
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            type(self).cancelled.append(str(request_id))
            raise


class DenyAll(permissions.BasePermission):
    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        return False


class LockedConsumer(EchoConsumer):
    """Refuses every action (403), but accepts the connection."""

    permission_classes = (DenyAll,)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        await self.accept()


class RefusingConsumer(AsyncAPIConsumer):
    """Refuses the connection with close code 4403."""

    async def connect(self) -> None:
        await self.close(code=4403)


class GreetingConsumer(AsyncAPIConsumer):
    """Sends a frame as soon as it accepted, before the other streams may have."""

    permission_classes = (permissions.AllowAny,)

    async def connect(self) -> None:
        await self.accept()
        await self.reply(action="hello", data={"stream": "greeter"})


class SlowAcceptConsumer(EchoConsumer):
    async def connect(self) -> None:
        await asyncio.sleep(0.05)
        await self.accept()


def demultiplexer(**streams: Any) -> Any:
    return AsyncJsonWebsocketDemultiplexer.as_asgi(**streams)


items_and_echo = demultiplexer(items=ItemConsumer.as_asgi(), echo=EchoConsumer.as_asgi())
with_locked = demultiplexer(echo=EchoConsumer.as_asgi(), locked=LockedConsumer.as_asgi())
with_refusing = demultiplexer(echo=EchoConsumer.as_asgi(), refusing=RefusingConsumer.as_asgi())
with_greeting = demultiplexer(slow=SlowAcceptConsumer.as_asgi(), greeter=GreetingConsumer.as_asgi())
two_echoes = demultiplexer(left=EchoConsumer.as_asgi(), right=EchoConsumer.as_asgi())
instances = demultiplexer(
    items=ItemInstanceConsumer.as_asgi(), also=ItemInstanceConsumer.as_asgi(), stream=StreamedItemConsumer.as_asgi()
)


class DeclaredDemultiplexer(AsyncJsonWebsocketDemultiplexer):
    """Streams declared on the class, as channelsmultiplexer users write them."""

    applications = {"echo": EchoConsumer.as_asgi()}


class CrashingConsumer(AsyncAPIConsumer):
    """Fails while connecting (a bug, not a refusal)."""

    async def connect(self) -> None:
        raise RuntimeError("a bug in connect")


with_crashing = demultiplexer(echo=EchoConsumer.as_asgi(), crashing=CrashingConsumer.as_asgi())
