"""A client that stops reading: after ``SEND_TIMEOUT`` its socket is given up (close code 4408,
its groups left, a log line), while another client of the same server keeps being served."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
import websockets

from djangochannelsrestframework._engine.send_guard import SLOW_CLIENT_CLOSE_CODE
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.permissions import AllowAny
from tests.support.envelope import reply

CHUNK = "x" * 100_000

pytestmark = pytest.mark.django_db(transaction=True)  # connection housekeeping may close connections


class FloodConsumer(AsyncAPIConsumer):
    """Sends many large frames; a client that does not read fills the server's buffers."""

    permission_classes = (AllowAny,)

    @action()
    async def flood(self, count: int) -> tuple[str, int]:
        for _ in range(count):
            await self.send_json({"chunk": CHUNK})
        return "done", 200

    @action()
    async def ping(self) -> tuple[str, int]:
        return "pong", 200


async def test_a_client_that_stops_reading_is_closed_and_others_are_unaffected(live_server_url, settings, caplog):
    settings.DJANGO_CHANNELS_REST_API = {"SEND_TIMEOUT": 1.0}
    caplog.set_level(logging.WARNING, logger="djangochannelsrestframework")
    url = live_server_url(FloodConsumer.as_asgi()) + "/ws/"
    # max_queue=1 and no recv(): the client library stops reading the socket after one frame.
    # No compression: the frames must take their size on the wire.
    async with (
        websockets.connect(url, max_queue=1, max_size=None, compression=None) as slow,
        websockets.connect(url) as other,
    ):
        await slow.send(json.dumps({"action": "flood", "count": 2000, "request_id": 1}))
        for n in range(6):  # meanwhile, and after the slow socket is given up, the other is served
            await other.send(json.dumps({"action": "ping", "request_id": n}))
            assert json.loads(await asyncio.wait_for(other.recv(), 5)) == reply("ping", "pong", request_id=n)
            await asyncio.sleep(0.5)
        given_up = [r.getMessage() for r in caplog.records if "the client read nothing" in r.getMessage()]
        assert len(given_up) == 1 and f"with {SLOW_CLIENT_CLOSE_CODE}:" in given_up[0]
        # The slow client, reading again, gets what was buffered and then the close frame (4408),
        # never the 2000 frames: the server stopped queueing when it gave up.
        frames = 0
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(slow.recv(), 5)
                frames += 1
        assert frames < 2000
        assert closed.value.rcvd is not None and closed.value.rcvd.code == SLOW_CLIENT_CLOSE_CODE
