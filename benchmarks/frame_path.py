"""CPU per echo frame through a whole consumer (ASGI in, ASGI out), measured in-process.

    .venv/bin/python benchmarks/frame_path.py [--profile]

The socket benchmark (run.py ``echo_seq``/``echo_pipe``) includes uvicorn and the client; this
drives the consumers' ASGI application directly with an in-memory ``receive``/``send``, so only
the consumer's own per-frame path is counted: ours (typed and untyped ``echo``) against the lean
floor (a hand-written channels consumer without the per-message thread hop), 1 and 100 frames in
flight, with the in-memory channel layer as in the benchmark; the next frame arrives in a later
event-loop iteration, as from a socket.  The applications are measured alternately (least of 7
rounds), which keeps the comparison steady on a shared machine.  ``--profile`` prints cProfile's
top functions for ours, 100 in flight.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inproc import Typed, Untyped  # sets Django up: before anything needing its settings

# isort: split
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer


class Lean(AsyncJsonWebsocketConsumer):
    """The benchmark's lean floor: the envelope by hand, no per-message thread hop."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        await getattr(self, get_handler_name(message))(message)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_json(
            {
                "errors": [],
                "data": {"message": content.get("message")},
                "action": content.get("action"),
                "response_status": 200,
                "request_id": content.get("request_id"),
            }
        )


async def drive(app: Any, frames: int, in_flight: int) -> float:
    """CPU seconds for ``frames`` echo round trips with ``in_flight`` outstanding."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent = received = 0
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def push_frame() -> None:
        nonlocal sent
        sent += 1
        text = f'{{"action":"echo","request_id":{sent},"message":"hello"}}'
        inbox.put_nowait({"type": "websocket.receive", "text": text})

    async def receive() -> dict[str, Any]:
        return await inbox.get()

    async def send(message: dict[str, Any]) -> None:
        nonlocal received
        if message["type"] == "websocket.accept":
            for _ in range(in_flight):
                loop.call_soon(push_frame)
        elif message["type"] == "websocket.send":
            received += 1
            if sent < frames:
                loop.call_soon(push_frame)  # the next frame arrives later, as from a socket
            elif received == frames:
                inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
                done.set_result(None)

    scope = {"type": "websocket", "path": "/ws/echo/", "headers": [], "query_string": b"", "client": ("127.0.0.1", 1)}
    inbox.put_nowait({"type": "websocket.connect"})
    started = time.process_time()
    await app(scope, receive, send)
    assert done.done()
    return time.process_time() - started


def per_frame_us(apps: dict[str, Any], frames: int, in_flight: int, rounds: int = 7) -> dict[str, float]:
    """Least CPU time per frame of each application, measured alternately so load changes on a
    shared machine hit all of them alike."""
    best = dict.fromkeys(apps, float("inf"))
    for _ in range(rounds):
        for name, app in apps.items():
            best[name] = min(best[name], asyncio.run(drive(app, frames, in_flight)))
    return {name: seconds / frames * 1e6 for name, seconds in best.items()}


def main() -> None:
    apps = {"lean": Lean.as_asgi(), "ours": Typed.as_asgi(), "ours untyped": Untyped.as_asgi()}
    if "--profile" in sys.argv:
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(drive(apps["ours"], 20_000, 100))
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return
    for in_flight in (1, 100):
        for name, us in per_frame_us(apps, 5000, in_flight).items():
            print(f"{name:>13}, {in_flight:>3} in flight: {us:6.1f} us/frame")


if __name__ == "__main__":
    main()
