"""Throttling: DRF-style rates per user, address, connection, action and connection attempt, on a clock
the tests move; and one limit shared by two server processes through Redis."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import websockets
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.test import override_settings
from rest_framework import throttling as drf_throttling

from djangochannelsrestframework.throttling import SimpleRateThrottle
from tests.support import throttle_app as app
from tests.support.core_consumers import allow_connection_housekeeping  # noqa: F401
from tests.support.envelope import reply
from tests.support.services import require

ROOT = Path(__file__).resolve().parents[2]


def throttled(action: str, seconds: int) -> dict[str, Any]:
    unit = "second" if seconds == 1 else "seconds"
    return reply(action, errors=[f"Request was throttled. Expected available in {seconds} {unit}."], status=429)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    cache.clear()
    moved = Clock()
    monkeypatch.setattr(SimpleRateThrottle, "timer", moved)
    monkeypatch.setattr(drf_throttling.SimpleRateThrottle, "timer", moved)
    return moved


async def connect(consumer: Any, user: Any = None, client: tuple[str, int] = ("10.0.0.1", 5000)) -> Any:
    communicator = WebsocketCommunicator(consumer.as_asgi(), "/ws/")
    communicator.scope["user"] = user or AnonymousUser()
    communicator.scope["client"] = client
    connected, _ = await communicator.connect()
    return communicator if connected else None


async def call(ws: WebsocketCommunicator, action: str = "ping", **arguments: Any) -> dict[str, Any]:
    await ws.send_json_to({"action": action, **arguments})
    return await ws.receive_json_from()


PONG = reply("ping", "pong")


async def test_fourth_call_in_a_minute_is_429_with_the_wait(clock: Clock) -> None:
    ws = await connect(app.PingConsumer)
    for _ in range(3):
        assert await call(ws) == PONG
    assert await call(ws) == throttled("ping", 60)
    clock.now += 45
    assert await call(ws) == throttled("ping", 15)
    clock.now += 15
    assert await call(ws) == PONG
    await ws.disconnect()


async def test_wait_is_spread_over_the_requests_still_to_expire(clock: Clock) -> None:
    ws = await connect(app.PingConsumer)
    assert await call(ws) == PONG
    clock.now += 20
    assert await call(ws) == PONG
    assert await call(ws) == PONG
    assert await call(ws) == throttled("ping", 40)  # the first call expires 40 s from now
    clock.now += 40
    assert await call(ws) == PONG
    assert await call(ws) == throttled("ping", 20)
    await ws.disconnect()


async def test_users_have_separate_limits_across_their_connections(clock: Clock) -> None:
    alice, bob = User(pk=1, username="alice"), User(pk=2, username="bob")
    first, second = await connect(app.PingConsumer, alice), await connect(app.PingConsumer, alice)
    assert [await call(first), await call(second), await call(first)] == [PONG] * 3
    assert await call(second) == throttled("ping", 60)
    other = await connect(app.PingConsumer, bob)
    assert await call(other) == PONG
    for ws in (first, second, other):
        await ws.disconnect()


async def test_anonymous_clients_are_counted_per_address(clock: Clock) -> None:
    here, there = await connect(app.PingConsumer), await connect(app.PingConsumer, client=("10.0.0.2", 1))
    for _ in range(3):
        assert await call(here) == PONG
    assert await call(here) == throttled("ping", 60)
    assert await call(there) == PONG
    await here.disconnect()
    await there.disconnect()


@override_settings(DJANGO_CHANNELS_REST_API={"DEFAULT_THROTTLE_RATES": {"anon": "1/hour"}})
async def test_anon_throttle_leaves_users_alone(clock: Clock) -> None:
    anonymous, user = await connect(app.AnonConsumer), await connect(app.AnonConsumer, User(pk=3))
    assert await call(anonymous) == PONG
    assert await call(anonymous) == throttled("ping", 3600)
    assert [await call(user) for _ in range(3)] == [PONG] * 3
    await anonymous.disconnect()
    await user.disconnect()


@override_settings(DJANGO_CHANNELS_REST_API={"DEFAULT_THROTTLE_RATES": {"connection": "2/s"}})
async def test_connection_throttle_counts_each_socket_alone(clock: Clock) -> None:
    first, second = await connect(app.PerSocketConsumer), await connect(app.PerSocketConsumer)
    assert [await call(first), await call(first)] == [PONG, PONG]
    assert await call(first) == throttled("ping", 1)
    assert await call(second) == PONG
    await first.disconnect()
    await second.disconnect()


@override_settings(DJANGO_CHANNELS_REST_API={"DEFAULT_THROTTLE_RATES": {"uploads": "1/day"}})
async def test_action_scope_limits_only_that_action(clock: Clock) -> None:
    ws = await connect(app.UploadConsumer)
    assert await call(ws, "upload") == reply("upload", "stored")
    assert await call(ws, "upload") == throttled("upload", 86400)
    assert [await call(ws) for _ in range(5)] == [PONG] * 5
    await ws.disconnect()


async def test_connection_attempts_beyond_the_rate_are_refused(clock: Clock) -> None:
    first, second = await connect(app.GuardedConsumer), await connect(app.GuardedConsumer)
    assert first is not None and second is not None
    assert await connect(app.GuardedConsumer) is None
    clock.now += 60
    third = await connect(app.GuardedConsumer)
    assert third is not None
    assert await call(third) == PONG  # the attempts did not use up the actions' rate
    for ws in (first, second, third):
        await ws.disconnect()


async def test_permissions_run_first_and_a_refused_call_is_not_counted(clock: Clock) -> None:
    ws = await connect(app.DeniedFirstConsumer)
    forbidden = reply("ping", errors=["You do not have permission to perform this action."], status=403)
    assert [await call(ws, n=1) for _ in range(5)] == [forbidden] * 5
    assert [await call(ws, n=2) for _ in range(3)] == [PONG] * 3
    assert await call(ws, n=2) == throttled("ping", 60)
    assert await call(ws, n=1) == forbidden
    await ws.disconnect()


async def test_drf_throttle_classes_work_too(clock: Clock) -> None:
    ws = await connect(app.DRFThrottledConsumer)
    assert await call(ws) == PONG
    assert await call(ws) == throttled("ping", 60)
    await ws.disconnect()


@override_settings(
    DJANGO_CHANNELS_REST_API={
        "DEFAULT_THROTTLE_CLASSES": ["djangochannelsrestframework.throttling.UserRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"user": "2/min"},
    }
)
async def test_view_as_consumer_passes_the_same_gate(clock: Clock) -> None:
    ws = WebsocketCommunicator(app.hello_over_websocket, "/ws/")
    ws.scope["client"] = ("10.0.0.9", 1)
    assert (await ws.connect())[0]
    ok = reply("retrieve", '{"hello": "world"}')
    assert [await call(ws, "retrieve"), await call(ws, "retrieve")] == [ok, ok]
    assert await call(ws, "retrieve") == throttled("retrieve", 60)
    await ws.disconnect()


async def test_no_throttles_by_default(clock: Clock) -> None:
    from tests.support.core_consumers import EchoConsumer

    ws = await connect(EchoConsumer)
    for _ in range(20):
        assert await call(ws, "echo", value=1) == reply("echo", {"value": 1})
    await ws.disconnect()


# -- two server processes, one limit -------------------------------------------------------------


def start_server(prefix: str, workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A uvicorn process serving ``throttle_app.application`` with the Redis cache; returns it and its port."""
    port_file = workdir / f"port-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.support.settings_throttle", "DCRF_THROTTLE_PREFIX": prefix}
    code = (
        "import django, socket, sys, uvicorn; django.setup();"
        "from tests.support.throttle_app import application;"
        "sock = socket.socket(); sock.bind(('127.0.0.1', 0)); open(sys.argv[1], 'w').write(str(sock.getsockname()[1]));"
        "uvicorn.Server(uvicorn.Config(application, log_level='warning', lifespan='off')).run(sockets=[sock])"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(port_file)], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while not (port_file.exists() and port_file.read_text()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the server process did not start")
        time.sleep(0.05)
    port = int(port_file.read_text())
    port_file.unlink()
    return process, port


async def ping_over(port: int) -> dict[str, Any]:
    import json

    for _ in range(100):  # the server may still be starting to listen
        try:
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/ping/") as ws:
                await ws.send(json.dumps({"action": "ping"}))
                return json.loads(await ws.recv())
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"no server on port {port}")


async def test_two_processes_share_one_limit_through_redis(tmp_path: Path) -> None:
    require("Redis")
    prefix = f"dcrf-throttle-{uuid.uuid4().hex[:8]}"
    servers = [start_server(prefix, tmp_path), start_server(prefix, tmp_path)]
    try:
        (_, first), (_, second) = servers
        assert [await ping_over(first), await ping_over(second), await ping_over(first)] == [PONG] * 3
        # The real clock runs here: the wait is under a minute.
        for port in (second, first):
            refused = await ping_over(port)
            assert refused["response_status"] == 429
            assert re.fullmatch(
                r"Request was throttled\. Expected available in (5[0-9]|60) seconds\.", refused["errors"][0]
            )
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=15)
