"""redis-py 8 gives Redis connections a 5 s ``socket_timeout`` by default, shorter than the blocking
read channels_redis makes for each consumer: a plain channels consumer on the Redis layer is torn
down after a few quiet seconds.  Ours survive: on a real server and Redis, configured without
``socket_timeout`` (redis-py's default applies), every kind of consumer we ship keeps its socket
and its subscriptions for over 20 s while events keep arriving.

Needs Redis on 127.0.0.1; skipped with a reason without it, except under CI=true.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import websockets

from tests.support.live_server import free_port, serve_process
from tests.support.services import require

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "tests.support.settings_redis_defaults"
#: The quiet between two writes: longer than redis-py 8's 5 s socket timeout, so the server
#: process's blocking read of the layer times out between them (events every 2 s would hide it).
WRITE_EVERY = 7.5


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    require("Redis")
    database = tmp_path / "db.sqlite3"
    monkeypatch.setenv("DCRF_TEST_SQLITE", str(database))
    monkeypatch.setenv("DCRF_REDIS_PREFIX", f"dcrf-defaults-{uuid.uuid4().hex[:8]}")
    env_settings = {"DJANGO_SETTINGS_MODULE": SETTINGS}
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--run-syncdb", "-v", "0"],
        cwd=ROOT,
        env={**__import__("os").environ, **env_settings, "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=120,
    )
    port = free_port()
    args = ["-m", "uvicorn", "tests.support.redis_defaults_app:application", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--log-level", "warning"]
    with serve_process(args, port, SETTINGS, tmp_path / "server.log") as base_url:
        yield base_url


#: Frames :func:`call` received while waiting for its reply, per socket, for :func:`frames`.
BACKLOG: dict[int, list[dict[str, Any]]] = {}


async def call(socket: Any, message: dict[str, Any], stream: str | None = None) -> dict[str, Any]:
    """Send one message and return the reply to it (other frames are kept for ``frames``)."""
    await socket.send(json.dumps(message if stream is None else {"stream": stream, "payload": message}))
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        payload = frame.get("payload", frame) if stream is not None else frame
        if payload.get("request_id") == message.get("request_id") and payload.get("action") == message["action"]:
            return payload  # type: ignore[no-any-return]
        BACKLOG.setdefault(id(socket), []).append(frame)


async def frames(socket: Any, until: float) -> list[dict[str, Any]]:
    """Every frame ``socket`` received (and not answered to a call) until the monotonic time ``until``."""
    received = BACKLOG.pop(id(socket), [])
    while (left := until - time.monotonic()) > 0:
        try:
            received.append(json.loads(await asyncio.wait_for(socket.recv(), timeout=left)))
        except asyncio.TimeoutError:
            break
    return received


async def test_our_consumers_keep_their_sockets_and_subscriptions_for_20_seconds(server: str) -> None:
    origin = {"origin": "http://127.0.0.1"}
    async with (
        websockets.connect(f"{server}/ws/multiplexed/", **origin) as multiplexed,
        websockets.connect(f"{server}/ws/activity/", **origin) as activity,
        websockets.connect(f"{server}/ws/quiet/", **origin) as quiet,
        websockets.connect(f"{server}/ws/view/", **origin) as view,
        websockets.connect(f"{server}/ws/multiplexed/", **origin) as writer,
    ):
        listed = await call(multiplexed, {"action": "subscribe_list", "request_id": "list"}, "items")
        assert (listed["response_status"], listed["data"]) == (200, [])
        first = await call(writer, {"action": "create", "data": {"name": "item-0"}, "request_id": 0}, "items")
        assert first["response_status"] == 201
        watched = {"action": "subscribe_instance", "pk": first["data"]["id"], "request_id": "one"}
        assert (await call(multiplexed, watched, "items"))["response_status"] == 201
        assert (await call(activity, {"action": "watch", "request_id": "all"}))["response_status"] == 201

        started = time.monotonic()
        writes = 3  # at 7.5, 15 and 22.5 s, each after a quiet longer than the socket timeout

        async def write() -> None:
            for n in range(1, writes + 1):
                await asyncio.sleep(WRITE_EVERY)
                create = {"action": "create", "data": {"name": f"item-{n}"}, "request_id": n}
                assert (await call(writer, create, "items"))["response_status"] == 201

        writing = asyncio.ensure_future(write())
        until = started + writes * WRITE_EVERY + 3
        seen_multiplexed, seen_activity = await asyncio.gather(frames(multiplexed, until), frames(activity, until))
        await writing
        assert time.monotonic() - started >= 20

        # Every create reached the live list and the model observer, in order, over the whole time.
        list_events = [frame["payload"] for frame in seen_multiplexed if frame["payload"]["request_id"] == "list"]
        assert [event["data"]["name"] for event in list_events] == [f"item-{n}" for n in range(writes + 1)]
        assert [event["data"]["name"] for event in seen_activity] == [f"item-{n}" for n in range(1, writes + 1)]

        # The sockets are all still open and answering.
        assert await call(quiet, {"action": "ping", "request_id": 1}) == {
            "errors": [],
            "data": "pong",
            "action": "ping",
            "response_status": 200,
            "request_id": 1,
        }
        got = await call(view, {"action": "retrieve", "request_id": 2})
        assert got["data"] == {"hello": "world"}
        again = await call(multiplexed, {"action": "retrieve", "pk": first["data"]["id"], "request_id": 3}, "items")
        assert again["data"]["name"] == "item-0"


async def test_a_plain_channels_consumer_alone_is_torn_down_by_redis_py_8s_default(server: str) -> None:
    """The control: what the check (dcrf.W004) and the docs warn about happens on this server."""
    async with websockets.connect(f"{server}/ws/plain/", origin="http://127.0.0.1") as plain:
        await plain.send(json.dumps({"hello": 1}))
        assert json.loads(await asyncio.wait_for(plain.recv(), timeout=5)) == {"echo": {"hello": 1}}
        await asyncio.sleep(12)  # quiet: the process's only layer read waits longer than 5 s
        try:
            await plain.send(json.dumps({"hello": 2}))
            alive = json.loads(await asyncio.wait_for(plain.recv(), timeout=5)) == {"echo": {"hello": 2}}
        except websockets.ConnectionClosed:
            alive = False
    assert alive is (int(redis.__version__.split(".")[0]) < 8)
