"""A client that closes while an event is on its way to it: the frame is dropped, logged below
ERROR (the server reports the disconnection next), over a real uvicorn websocket."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
import websockets
from django.dispatch import Signal

from djangochannelsrestframework import permissions
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.observer import observer
from tests.support.live_server import serve

pytestmark = pytest.mark.django_db(transaction=True)

noticed = Signal()
#: Set when a handler starts, so the client knows when to close.
started: dict[str, asyncio.Event] = {}


class SlowEventConsumer(AsyncAPIConsumer):
    """Each ``noticed`` signal is a frame, sent 0.3 s after the handler starts."""

    permission_classes = (permissions.AllowAny,)

    @observer(noticed)
    async def on_noticed(self, message, subscribing_request_ids=(), **kwargs):
        loop, event = started["loop"], started["event"]
        loop.call_soon_threadsafe(event.set)
        await asyncio.sleep(0.3)  # the client closes meanwhile
        for request_id in subscribing_request_ids:
            await self.reply(action="noticed", data=message, request_id=request_id)

    @on_noticed.serializer
    def on_noticed(self, signal, sender, **kwargs):
        return {"text": kwargs["text"]}

    @action()
    async def listen(self, request_id=None, **kwargs):
        await self.on_noticed.subscribe(request_id=request_id)
        return None, 201


@pytest.mark.parametrize("ws", ["websockets-sansio", "websockets"])
async def test_an_event_sent_as_the_client_closes_logs_below_error(ws, caplog):
    started.update(loop=asyncio.get_running_loop(), event=asyncio.Event())
    caplog.set_level(logging.DEBUG, logger="djangochannelsrestframework")
    with serve(SlowEventConsumer.as_asgi(), ws=ws) as url:
        async with websockets.connect(url + "/ws/") as client:
            await client.send(json.dumps({"action": "listen", "request_id": 1}))
            assert json.loads(await asyncio.wait_for(client.recv(), 10))["response_status"] == 201
            await asyncio.to_thread(noticed.send, sender=None, text="hello")
            await asyncio.wait_for(started["event"].wait(), 10)
        await asyncio.sleep(1.0)  # the handler's send runs after the close
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == []
    dropped = [record for record in caplog.records if record.getMessage().startswith("Dropping a frame for")]
    assert [record.levelno for record in dropped] == [logging.DEBUG]
