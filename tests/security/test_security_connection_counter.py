"""Where MAX_CONNECTIONS_PER_USER counts (CONNECTION_COUNTER): the choice of counter, the Redis
counter through the consumer (real Redis on 127.0.0.1, a key prefix per test), and a Redis that
fails or does not answer, which lets connections in with a WARNING line.

The count across server processes is in tests/security/test_security_connection_limit_processes.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from djangochannelsrestframework import limits
from djangochannelsrestframework._engine.redis_connection_counter import RedisConnectionCounter
from tests.support.envelope import connect, refused_for_too_many, reply
from tests.support.security_consumers import WhoAmIConsumer
from tests.support.services import require

ADA = User(pk=7, username="ada")
IN_MEMORY = {"BACKEND": "channels.layers.InMemoryChannelLayer"}


def core_layer(prefix: str, port: int = 6379) -> dict[str, Any]:
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [("127.0.0.1", port)], "prefix": prefix},
    }


def pubsub_layer(prefix: str) -> dict[str, Any]:
    return {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379"], "prefix": prefix},
    }


@pytest.fixture
def deployment() -> Iterator[Any]:
    """``deployment(layer, **api_settings)`` configures the default layer and the library; Redis
    keys made under the returned prefix are deleted afterwards."""
    prefix = f"dcrf-test-counter-{uuid.uuid4().hex[:8]}"
    overrides: list[Any] = []

    def configure(layer: Any, **settings: Any) -> str:
        override = override_settings(CHANNEL_LAYERS={"default": layer}, DJANGO_CHANNELS_REST_API=settings)
        override.enable()
        overrides.append(override)
        channel_layers.backends.clear()
        return prefix

    configure.prefix = prefix  # type: ignore[attr-defined]
    yield configure
    for override in reversed(overrides):
        override.disable()
    channel_layers.backends.clear()
    client = redis.Redis()
    for key in client.keys(f"{prefix}:*"):
        client.delete(key)
    client.close()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The connection limit's WARNING lines (not the channel layer's, which also fails below)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "djangochannelsrestframework"
        and r.levelno == logging.WARNING
        and r.getMessage().startswith(("Could not", "Refusing a connection"))
    ]


class CountingInADict:
    """A counter of one's own, named by an import string in CONNECTION_COUNTER."""

    counted: dict[str, Any] = {}

    async def acquire(self, user: Any, connection: str, limit: int) -> int | None:
        mine = [c for c, u in self.counted.items() if u == user]
        if len(mine) >= limit:
            return len(mine)
        self.counted[connection] = user
        return None

    async def release(self, user: Any, connection: str) -> None:
        del self.counted[connection]


def test_auto_counts_in_the_redis_of_a_channels_redis_layer(deployment: Any) -> None:
    prefix = deployment(core_layer("site"))
    counter = limits.connection_counter()
    assert isinstance(counter, RedisConnectionCounter)
    assert (counter.host, counter.prefix) == ({"host": "127.0.0.1", "port": 6379}, "site")
    assert counter.key((User, 7)) == "site:dcrf-connections:auth.user:7"
    deployment(pubsub_layer(prefix))
    counter = limits.connection_counter()
    assert isinstance(counter, RedisConnectionCounter)
    assert (counter.host, counter.prefix) == ({"address": "redis://127.0.0.1:6379"}, prefix)


def test_auto_counts_in_the_process_without_a_redis_layer(deployment: Any) -> None:
    deployment(IN_MEMORY)
    assert isinstance(limits.connection_counter(), limits.ProcessConnectionCounter)


def test_the_setting_forces_a_counter(deployment: Any) -> None:
    deployment(core_layer("site"), CONNECTION_COUNTER="process")
    assert isinstance(limits.connection_counter(), limits.ProcessConnectionCounter)
    deployment(IN_MEMORY, CONNECTION_COUNTER="redis")
    with pytest.raises(ImproperlyConfigured) as raised:
        limits.connection_counter()
    assert str(raised.value) == (
        'CONNECTION_COUNTER = "redis" needs a channels_redis default channel layer '
        "(RedisChannelLayer or RedisPubSubChannelLayer), whose Redis it counts in."
    )


async def test_an_import_string_names_a_counter_of_ones_own(deployment: Any) -> None:
    name = "tests.security.test_security_connection_counter.CountingInADict"
    deployment(IN_MEMORY, MAX_CONNECTIONS_PER_USER=2, CONNECTION_COUNTER=name)
    first = await connect(WhoAmIConsumer, user=ADA)
    second = await connect(WhoAmIConsumer, user=ADA)
    assert list(CountingInADict.counted.values()) == [(User, 7), (User, 7)]
    await refused_for_too_many(WhoAmIConsumer, 2, user=ADA)
    await first.disconnect()
    await second.disconnect()
    assert CountingInADict.counted == {}


@pytest.fixture
async def client() -> AsyncIterator[Any]:
    """A client of the Redis on 127.0.0.1 (required)."""
    require("Redis")
    client = redis.asyncio.Redis()
    yield client
    await client.aclose()


def limit_two(deployment: Any, ttl: float, layer: Any = core_layer) -> str:
    """Two connections per user, counted in Redis under this test's prefix; the key of ada's set."""
    prefix = deployment(layer(deployment.prefix), MAX_CONNECTIONS_PER_USER=2, CONNECTION_COUNT_TTL=ttl)
    return f"{prefix}:dcrf-connections:auth.user:7"


@pytest.mark.parametrize("layer", [core_layer, pubsub_layer])
async def test_redis_counts_the_users_connections(deployment: Any, client: Any, layer: Any, caplog: Any) -> None:
    key = limit_two(deployment, 30.0, layer)
    first = await connect(WhoAmIConsumer, user=ADA)
    second = await connect(WhoAmIConsumer, user=ADA)
    members = await client.zrange(key, 0, -1, withscores=True)
    assert len(members) == 2 and all(b"specific." in member for member, _ in members)  # channel names
    server_ms = (await client.time())[0] * 1000
    assert all(server_ms + 29_000 < score <= server_ms + 31_000 for _, score in members)  # expire in the TTL
    assert 29_000 < await client.pttl(key) <= 30_000
    await refused_for_too_many(WhoAmIConsumer, 2, user=ADA)
    assert warnings(caplog) == ["Refusing a connection of user 7: 2 open, the limit is 2"]
    assert limits.open_connections((User, 7)) == 0  # nothing counted in the process
    await first.disconnect()
    assert await client.zcard(key) == 1
    third = await connect(WhoAmIConsumer, user=ADA)
    await second.disconnect()
    await third.disconnect()
    assert await client.exists(key) == 0


async def test_expired_connections_stop_counting_and_held_ones_are_refreshed(deployment: Any, client: Any) -> None:
    key = limit_two(deployment, 0.6)
    # A connection of a process that died: counted for one more second, never refreshed.
    seconds, microseconds = await client.time()
    await client.zadd(key, {"gone": seconds * 1000 + microseconds // 1000 + 1000})
    held = await connect(WhoAmIConsumer, user=ADA)
    await refused_for_too_many(WhoAmIConsumer, 2, user=ADA)
    await asyncio.sleep(1.5)  # "gone" expired, the held one was refreshed (every 0.2 s)
    second = await connect(WhoAmIConsumer, user=ADA)
    members = await client.zrange(key, 0, -1)
    assert len(members) == 2 and b"gone" not in members
    await refused_for_too_many(WhoAmIConsumer, 2, user=ADA)
    await held.disconnect()
    await second.disconnect()


async def test_a_refresh_counts_again_what_a_restarted_redis_lost(deployment: Any, client: Any) -> None:
    key = limit_two(deployment, 0.6)
    first = await connect(WhoAmIConsumer, user=ADA)
    second = await connect(WhoAmIConsumer, user=ADA)
    members = await client.zrange(key, 0, -1)
    await client.delete(key)  # as after a restart without persistence
    await asyncio.sleep(0.5)  # refreshed every 0.2 s
    assert sorted(await client.zrange(key, 0, -1)) == sorted(members)
    await refused_for_too_many(WhoAmIConsumer, 2, user=ADA)
    await first.disconnect()
    await second.disconnect()


async def test_anonymous_users_and_no_limit_never_call_redis(deployment: Any, caplog: Any) -> None:
    deployment(core_layer(deployment.prefix, port=1))  # nothing listens there: a call would log
    anonymous = await connect(WhoAmIConsumer, user=AnonymousUser())
    await anonymous.disconnect()
    deployment(core_layer(deployment.prefix, port=1), MAX_CONNECTIONS_PER_USER=None)
    unlimited = await connect(WhoAmIConsumer, user=ADA)
    await unlimited.disconnect()
    assert warnings(caplog) == []


async def test_an_unreachable_redis_lets_connections_in(deployment: Any, caplog: Any) -> None:
    deployment(core_layer(deployment.prefix, port=1), MAX_CONNECTIONS_PER_USER=1)
    first = await connect(WhoAmIConsumer, user=ADA)
    second = await connect(WhoAmIConsumer, user=ADA)  # over the limit, but nothing could count it
    await first.disconnect()
    await second.disconnect()
    failed = "ConnectionError: Error 111 connecting to 127.0.0.1:1. Connect call failed ('127.0.0.1', 1)."
    count = f"Could not count the connections of user 7 in Redis ({failed}); allowing the connection"
    release = f"Could not release a connection of user 7 in Redis ({failed}); it expires after the TTL"
    assert warnings(caplog) == [count, count, release, release]


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A port that accepts connections and never answers (a Redis that hangs)."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


async def test_a_redis_that_does_not_answer_lets_connections_in_after_the_timeout(
    deployment: Any, silent_port: int, caplog: Any
) -> None:
    deployment(core_layer(deployment.prefix, port=silent_port), MAX_CONNECTIONS_PER_USER=1)
    started = time.monotonic()
    communicator = WebsocketCommunicator(WhoAmIConsumer.as_asgi(), "/ws/")
    communicator.scope["user"] = ADA
    assert (await communicator.connect(timeout=5))[0]
    assert 2.0 <= time.monotonic() - started < 3.5
    assert warnings(caplog) == [
        "Could not count the connections of user 7 in Redis (no answer within 2.0 s); allowing the connection"
    ]
    await communicator.send_json_to({"action": "whoami", "request_id": 1})
    assert await communicator.receive_json_from() == reply("whoami", {"username": "ada"}, request_id=1)
    await communicator.disconnect(timeout=5)
