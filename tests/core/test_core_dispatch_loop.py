"""The consumer's own dispatch loop: socket frames and channel-layer events, one handler at a time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from tests.support.envelope import reply


class LoopConsumer(AsyncAPIConsumer):
    """Records when its handlers start and end, to show they never overlap."""

    log: list[str] = []

    @action()
    async def slow(self, n: int, **kwargs: Any) -> tuple[Any, int]:
        self.log.append(f"frame {n} start")
        await asyncio.sleep(0.01)
        self.log.append(f"frame {n} end")
        return n, 200

    @action()
    async def name(self, **kwargs: Any) -> tuple[Any, int]:
        return self.channel_name, 200

    async def note(self, event: dict[str, Any]) -> None:
        self.log.append(f"event {event['n']} start")
        await asyncio.sleep(0.01)
        self.log.append(f"event {event['n']} end")
        await self.reply(action="note", data=event["n"])

    async def stop_now(self, event: dict[str, Any]) -> None:
        raise StopConsumer()

    async def fail_now(self, event: dict[str, Any]) -> None:
        raise RuntimeError("layer handler failed")


async def connected() -> tuple[WebsocketCommunicator, str]:
    communicator = WebsocketCommunicator(LoopConsumer.as_asgi(), "/ws/")
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"action": "name"})
    channel_name = (await communicator.receive_json_from())["data"]
    return communicator, channel_name


async def test_frames_and_layer_events_never_overlap_and_keep_their_order() -> None:
    LoopConsumer.log = []
    communicator, channel_name = await connected()
    layer = get_channel_layer()
    for n in (1, 2):
        await communicator.send_json_to({"action": "slow", "n": n})
        await layer.send(channel_name, {"type": "note", "n": n})
    replies = [await communicator.receive_json_from() for _ in range(4)]
    assert sorted(r["data"] for r in replies if r["action"] == "slow") == [1, 2]
    assert [r["data"] for r in replies if r["action"] == "note"] == [1, 2]
    starts_and_ends = LoopConsumer.log
    assert len(starts_and_ends) == 8
    for start, end in zip(starts_and_ends[::2], starts_and_ends[1::2]):
        assert start.endswith(" start") and end == start.replace(" start", " end")
    assert [entry for entry in starts_and_ends if entry.startswith("frame")] == [
        "frame 1 start",
        "frame 1 end",
        "frame 2 start",
        "frame 2 end",
    ]
    await communicator.disconnect()


async def test_stop_consumer_from_a_layer_event_ends_the_consumer() -> None:
    communicator, channel_name = await connected()
    await get_channel_layer().send(channel_name, {"type": "stop.now"})
    await asyncio.wait_for(communicator.future, 2)
    assert communicator.future.exception() is None
    assert not communicator.future.cancelled()


async def test_an_error_in_a_layer_handler_ends_the_consumer_with_that_error() -> None:
    communicator, channel_name = await connected()
    await get_channel_layer().send(channel_name, {"type": "fail.now"})
    with pytest.raises(RuntimeError, match="layer handler failed"):
        await asyncio.wait_for(communicator.future, 2)


async def test_frames_are_answered_without_a_channel_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {}
    communicator = WebsocketCommunicator(LoopConsumer.as_asgi(), "/ws/")
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"action": "slow", "n": 3, "request_id": 7})
    assert await communicator.receive_json_from() == reply("slow", 3, request_id=7)
    await communicator.disconnect()


class CustomJson(AsyncAPIConsumer):
    """Overrides the JSON hooks: replies must still go through them (no shortcut past an override)."""

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        content = await super().decode_json(text_data)
        content["shout"] = content.get("shout", "").upper()
        return content

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return "custom:" + await super().encode_json(content)

    @action()
    async def shout(self, shout: str, **kwargs: Any) -> tuple[Any, int]:
        return shout, 200


async def test_overridden_decode_and_encode_json_are_used() -> None:
    communicator = WebsocketCommunicator(CustomJson.as_asgi(), "/ws/")
    assert (await communicator.connect())[0]
    await communicator.send_json_to({"action": "shout", "shout": "hi"})
    assert await communicator.receive_from() == (
        'custom:{"errors":[],"data":"HI","action":"shout","response_status":200,"request_id":null}'
    )
    await communicator.disconnect()
