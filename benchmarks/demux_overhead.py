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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

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


async def per_frame_us(app: Any, frame: str, frames: int) -> float:
    """CPU microseconds per request/reply round trip through ``app`` (CPU time: steadier than wall
    time on a shared machine)."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "websocket", "path": "/ws/", "headers": [], "query_string": b"", "subprotocols": []}
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    inbox.put_nowait({"type": "websocket.connect"})
    accepted = await outbox.get()
    assert accepted["type"] == "websocket.accept", accepted
    message = {"type": "websocket.receive", "text": frame}
    for _ in range(200):  # warm-up
        inbox.put_nowait(message)
        await outbox.get()
    started = time.process_time()
    for _ in range(frames):
        inbox.put_nowait(message)
        await outbox.get()
    elapsed = time.process_time() - started
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(task, 5)
    return elapsed / frames * 1e6


async def main(frames: int, rounds: int) -> None:
    payload = {"action": "echo", "message": "hello", "request_id": 1}
    direct_app = EchoConsumer.as_asgi()
    mux_app = AsyncJsonWebsocketDemultiplexer.as_asgi(echo=EchoConsumer.as_asgi())
    direct, muxed = [], []
    for _ in range(rounds):  # interleaved, so drift hits both alike
        direct.append(await per_frame_us(direct_app, codec.dumps(payload), frames))
        muxed.append(await per_frame_us(mux_app, codec.dumps({"stream": "echo", "payload": payload}), frames))
    for name, pick in (("median", statistics.median), ("best", min)):
        d, m = pick(direct), pick(muxed)
        print(f"{name:>6}: direct {d:.1f} CPU us/frame, demultiplexed {m:.1f}: {m - d:+.1f} us ({m / d - 1:+.1%})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
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

        cProfile.run("asyncio.run(main(args.frames, 1))", "/tmp/demux.prof")
        pstats.Stats("/tmp/demux.prof").sort_stats("tottime").print_stats(25)
    else:
        asyncio.run(main(args.frames, args.rounds))
