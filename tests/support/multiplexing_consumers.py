"""Consumers the demultiplexer tests put on streams."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from djangochannelsrestframework import permissions
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.multiplexing import AsyncJsonWebsocketDemultiplexer
from tests.support.generic_consumers import ItemConsumer, StreamedItemConsumer
from tests.support.observer_consumers import ItemInstanceConsumer


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
    async def demultiplexer(self) -> tuple[Any, int]:
        return self.scope["demultiplexer_cls"].__name__, 200

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


class SlowRefusingConsumer(AsyncAPIConsumer):
    """Refuses the connection with close code 4403, a moment after the others accepted."""

    async def connect(self) -> None:
        await asyncio.sleep(0.05)
        await self.close(code=4403)


class SilentConsumer(AsyncAPIConsumer):
    """Never answers the handshake."""

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        pass


class SlowCleanupConsumer(EchoConsumer):
    """Takes ``cleanup`` seconds to handle the disconnect; records how far it got."""

    cleanup = 0.0
    events: list[str] = []

    async def disconnect(self, code: int) -> None:
        type(self).events.append(f"cleanup started {code}")
        await asyncio.sleep(type(self).cleanup)
        type(self).events.append("cleanup done")
        await super().disconnect(code)


def demultiplexer(**streams: Any) -> Any:
    return AsyncJsonWebsocketDemultiplexer.as_asgi(**streams)


items_and_echo = demultiplexer(items=ItemConsumer.as_asgi(), echo=EchoConsumer.as_asgi())
with_locked = demultiplexer(echo=EchoConsumer.as_asgi(), locked=LockedConsumer.as_asgi())
with_greeting = demultiplexer(slow=SlowAcceptConsumer.as_asgi(), greeter=GreetingConsumer.as_asgi())
with_slow = demultiplexer(echo=EchoConsumer.as_asgi(), slow=SlowAcceptConsumer.as_asgi())
with_slow_refusing = demultiplexer(echo=EchoConsumer.as_asgi(), refusing=SlowRefusingConsumer.as_asgi())
refusing_first = demultiplexer(refusing=RefusingConsumer.as_asgi(), slow=SlowAcceptConsumer.as_asgi())
with_silent = demultiplexer(echo=EchoConsumer.as_asgi(), silent=SilentConsumer.as_asgi())
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


only_crashing = demultiplexer(crashing=CrashingConsumer.as_asgi())
only_silent = demultiplexer(silent=SilentConsumer.as_asgi())


class AllStreamsDemultiplexer(AsyncJsonWebsocketDemultiplexer):
    """Our stricter handshake: the socket is accepted once every stream accepted."""

    wait_for_all_streams = True


def all_streams(**streams: Any) -> Any:
    return AllStreamsDemultiplexer.as_asgi(**streams)


class HookedDemultiplexer(AsyncJsonWebsocketDemultiplexer):
    """Overrides channelsmultiplexer's hooks, as its users do, and records the calls."""

    calls: list[Any] = []

    async def websocket_accept(self, message: dict[str, Any], stream_name: str) -> None:
        # Accept once every stream accepted, as dcrf-client's test app does with channelsmultiplexer.
        is_last = self.applications_accepting_frames == set(self.applications) - {stream_name}
        self.applications_accepting_frames.add(stream_name)
        type(self).calls.append(("accept", stream_name, is_last))
        if is_last:
            await self.accept()

    async def websocket_close(self, message: dict[str, Any], stream_name: str) -> None:
        type(self).calls.append(("close", stream_name, message.get("code")))
        await super().websocket_close(message, stream_name)

    async def websocket_send(self, message: dict[str, Any], stream_name: str) -> None:
        await self.send_json({"stream": stream_name, "payload": json.loads(message["text"]), "hooked": True})


class DisconnectHookDemultiplexer(AsyncJsonWebsocketDemultiplexer):
    """Records when its ``disconnect`` hook runs, relative to the streams' cleanup."""

    application_close_timeout = 0.2
    applications = {"slow": SlowCleanupConsumer.as_asgi()}

    async def disconnect(self, code: int) -> None:
        SlowCleanupConsumer.events.append(f"hook started {code}")
        await super().disconnect(code)
        SlowCleanupConsumer.events.append("hook done")
