"""The ``tests.communicator`` helpers DCRF 1.3.0's test modules import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from channels.testing import WebsocketCommunicator


class Communicator(WebsocketCommunicator):
    """A websocket communicator whose receives may time out without ending the application, so a
    test can read "everything that arrives" and then go on using the connection."""

    is_open = False

    async def connect(self, timeout: float = 1) -> Any:
        accepted, subprotocol = await super().connect(timeout)
        self.is_open = bool(accepted)
        return accepted, subprotocol

    async def disconnect(self, code: int = 1000, timeout: float = 1) -> None:
        self.is_open = False
        await super().disconnect(code, timeout)

    async def receive_output(self, timeout: float = 1) -> Any:
        if self.future.done():
            self.future.result()  # the application ended: raise its error, if any
        try:
            return await asyncio.wait_for(self.output_queue.get(), timeout)
        except asyncio.TimeoutError:
            if self.future.done():
                self.future.result()
            raise

    async def receive_many_json_from(self, timeout: float = 1) -> list[Any]:
        """Every JSON frame that arrives until none came for ``timeout`` seconds."""
        frames = []
        while True:
            try:
                frames.append(await self.receive_json_from(timeout=timeout))
            except asyncio.TimeoutError:
                return frames


@asynccontextmanager
async def connected_communicator(consumer: Any, path: str = "/testws/") -> AsyncIterator[Communicator]:
    """A communicator connected to ``consumer``; disconnected on exit unless the test did."""
    communicator = Communicator(consumer, path)
    accepted, _ = await communicator.connect()
    try:
        assert accepted, f"{consumer!r} did not accept the connection"
        yield communicator
    finally:
        if communicator.is_open:
            await communicator.disconnect()
