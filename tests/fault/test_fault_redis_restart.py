"""Redis stopped and started again while clients are connected (a Redis server of the test's own,
on its own port: never the shared one).

During the outage actions that do not need the layer keep answering and a subscribe gets a 503
reply; after it, the subscription made before receives events again (its groups re-joined, see
``djangochannelsrestframework._engine.layer_resilience``) and new subscriptions work, with no restart.
``DCRF_REDIS_OUTAGE`` sets the outage in seconds (default 10).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import socket
import subprocess
import time

import pytest
import websockets
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.test import override_settings

from tests.support.app.models import Item
from tests.support.envelope import reply
from tests.support.observer_consumers import ItemInstanceConsumer
from tests.support.services import required

OUTAGE = float(os.environ.get("DCRF_REDIS_OUTAGE", "10"))
UNAVAILABLE = "Subscriptions are unavailable right now (the channel layer does not answer); try again later."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    """A throw-away redis-server (no persistence) that can be stopped and started on one port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis():
    if shutil.which("redis-server") is None:
        required("redis-server is not installed")
    redis = OwnRedis()
    redis.start()
    yield redis
    redis.stop()


@database_sync_to_async
def set_value(item: Item, value: int) -> None:
    item.value = value
    item.save()


async def call(ws, message: dict) -> dict:
    await ws.send(json.dumps(message))
    return json.loads(await asyncio.wait_for(ws.recv(), 10))


@pytest.mark.django_db(transaction=True)
async def test_subscriptions_survive_a_redis_restart(own_redis, live_server_url, settings):
    settings.DJANGO_CHANNELS_REST_API = {"SUBSCRIBE_TIMEOUT": 2.0}
    layer = {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [("127.0.0.1", own_redis.port)]}}
    item = await database_sync_to_async(Item.objects.create)(name="a")
    other = await database_sync_to_async(Item.objects.create)(name="b")
    with override_settings(CHANNEL_LAYERS={"default": layer}):
        channel_layers.backends.clear()
        try:
            url = live_server_url(ItemInstanceConsumer.as_asgi())
            async with websockets.connect(url + "/ws/") as ws:
                assert await call(ws, {"action": "subscribe_instance", "pk": item.pk, "request_id": 1}) == reply(
                    "subscribe_instance", status=201, request_id=1
                )
                await set_value(item, 1)
                assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == reply(
                    "update", {"id": item.pk, "name": "a", "value": 1}, request_id=1
                )

                own_redis.stop()
                started = time.monotonic()
                await asyncio.sleep(0.5)
                assert await call(ws, {"action": "retrieve", "pk": item.pk, "request_id": 2}) == reply(
                    "retrieve", {"id": item.pk, "name": "a", "value": 1}, request_id=2
                )
                asked = time.monotonic()
                assert await call(ws, {"action": "subscribe_instance", "pk": other.pk, "request_id": 3}) == reply(
                    "subscribe_instance", errors=[UNAVAILABLE], status=503, request_id=3
                )
                assert time.monotonic() - asked < 5  # a reply, not a hang
                await set_value(item, 2)  # committed during the outage: this event is lost
                await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - started)))
                own_redis.start()

                # The earlier subscription gets events again once its groups are re-joined.
                received = None
                for value in range(3, 23):
                    await set_value(item, value)
                    try:
                        received = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
                        break
                    except asyncio.TimeoutError:
                        continue
                assert received == reply("update", {"id": item.pk, "name": "a", "value": value}, request_id=1)

                assert await call(ws, {"action": "subscribe_instance", "pk": other.pk, "request_id": 4}) == reply(
                    "subscribe_instance", status=201, request_id=4
                )
                await set_value(other, 7)
                assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == reply(
                    "update", {"id": other.pk, "name": "b", "value": 7}, request_id=4
                )
        finally:
            channel_layers.backends.clear()


@pytest.mark.django_db(transaction=True)
async def test_unsubscribing_while_redis_is_down_answers_503_like_subscribing(
    own_redis, live_server_url, settings, caplog
):
    settings.DJANGO_CHANNELS_REST_API = {"SUBSCRIBE_TIMEOUT": 2.0}
    layer = {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [("127.0.0.1", own_redis.port)]}}
    item = await database_sync_to_async(Item.objects.create)(name="a")
    with override_settings(CHANNEL_LAYERS={"default": layer}):
        channel_layers.backends.clear()
        try:
            url = live_server_url(ItemInstanceConsumer.as_asgi())
            async with websockets.connect(url + "/ws/") as ws:
                assert await call(ws, {"action": "subscribe_instance", "pk": item.pk, "request_id": 1}) == reply(
                    "subscribe_instance", status=201, request_id=1
                )
                own_redis.stop()
                asked = time.monotonic()
                assert await call(ws, {"action": "unsubscribe_instance", "request_id": 1}) == reply(
                    "unsubscribe_instance", errors=[UNAVAILABLE], status=503, request_id=1
                )
                assert time.monotonic() - asked < 5
                own_redis.start()
                # The subscription ended on this socket anyway; unsubscribing again is a plain 204.
                assert await call(ws, {"action": "unsubscribe_instance", "pk": item.pk, "request_id": 2}) == reply(
                    "unsubscribe_instance", status=204, request_id=2
                )
                await set_value(item, 5)
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(ws.recv(), 1.5)
                assert await call(ws, {"action": "subscribe_instance", "pk": item.pk, "request_id": 3}) == reply(
                    "subscribe_instance", status=201, request_id=3
                )
                await set_value(item, 6)
                assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == reply(
                    "update", {"id": item.pk, "name": "a", "value": 6}, request_id=3
                )
        finally:
            channel_layers.backends.clear()
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
