"""In-process cost of the demultiplexer per frame: the same echo consumer on its own and behind
``AsyncJsonWebsocketDemultiplexer``, driven through ASGI queues (no network, no server), so the
difference is the demultiplexer's own work.

    .venv/bin/python benchmarks/demux_overhead.py [--frames N] [--rounds R] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.settings")

import django

django.setup()

from djangochannelsrestframework import codec  # noqa: E402
from djangochannelsrestframework.consumers import AsyncAPIConsumer  # noqa: E402
from djangochannelsrestframework.decorators import action  # noqa: E402
from djangochannelsrestframework.multiplexing import AsyncJsonWebsocketDemultiplexer  # noqa: E402
from djangochannelsrestframework.permissions import AllowAny  # noqa: E402


class EchoConsumer(AsyncAPIConsumer):
    permission_classes = (AllowAny,)

    @action()
    async def echo(self, message: Any = None, **kwargs: Any) -> tuple[Any, int]:
        return {"message": message}, 200


class Connection:
    """One ASGI connection to ``app``, driven request by reply."""

    def __init__(self, app: Any, frame: str) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {"type": "websocket", "path": "/ws/", "headers": [], "query_string": b"", "subprotocols": []}
        self.task = asyncio.ensure_future(app(scope, self.inbox.get, self.outbox.put))
        self.message = {"type": "websocket.receive", "text": frame}

    async def open(self) -> None:
        self.inbox.put_nowait({"type": "websocket.connect"})
        accepted = await self.outbox.get()
        assert accepted["type"] == "websocket.accept", accepted

    async def cpu_us_per_frame(self, frames: int) -> float:
        """CPU microseconds per request/reply round trip (CPU time: steadier than wall time on a
        shared machine)."""
        started = time.process_time()
        for _ in range(frames):
            self.inbox.put_nowait(self.message)
            await self.outbox.get()
        return (time.process_time() - started) / frames * 1e6

    async def close(self) -> None:
        self.inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 5)


async def main(frames: int, rounds: int) -> None:
    payload = {"action": "echo", "message": "hello", "request_id": 1}
    direct = Connection(EchoConsumer.as_asgi(), codec.dumps(payload))
    muxed = Connection(
        AsyncJsonWebsocketDemultiplexer.as_asgi(echo=EchoConsumer.as_asgi()),
        codec.dumps({"stream": "echo", "payload": payload}),
    )
    for connection in (direct, muxed):
        await connection.open()
        await connection.cpu_us_per_frame(500)  # warm-up
    # Short alternating chunks, so drift in the machine's load hits both alike.
    samples: dict[Connection, list[float]] = {direct: [], muxed: []}
    for _ in range(rounds):
        for connection in (direct, muxed):
            samples[connection].append(await connection.cpu_us_per_frame(frames))
    for connection in (direct, muxed):
        await connection.close()
    d, m = statistics.median(samples[direct]), statistics.median(samples[muxed])
    print(f"direct {d:.1f} CPU us/frame, demultiplexed {m:.1f}: {m - d:+.1f} us ({m / d - 1:+.1%}), median of {rounds}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=500, help="frames per chunk")
    parser.add_argument("--rounds", type=int, default=60, help="alternating chunks per connection")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    if args.profile:
        import cProfile
        import pstats

        cProfile.run("asyncio.run(main(args.frames, args.rounds))", "/tmp/demux.prof")
        pstats.Stats("/tmp/demux.prof").sort_stats("tottime").print_stats(25)
    else:
        asyncio.run(main(args.frames, args.rounds))
