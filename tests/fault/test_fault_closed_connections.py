"""Closed connections leave nothing behind: once its socket is closed, a consumer (and through its
``send`` the server's protocol object, with its permessage-deflate buffers) is freed, also after it
received shared instance-subscription payloads, and also when the cancellation of its channel-layer
read is lost on the way (as ``asyncio.wait_for`` loses one before Python 3.12, under redis-py).

Then ``TRIM_MEMORY_AFTER_CLOSE``: when a process gives the freed memory back to the system.  The load
test (``python -m tests.support.load.run``) checks both at scale, through the servers' RSS.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import sys
import weakref
from typing import Any

import pytest
import redis.exceptions
import websockets
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.test import override_settings

from djangochannelsrestframework._engine import memory
from djangochannelsrestframework._engine.fanout import ProcessFanout
from djangochannelsrestframework._engine.layer_resilience import resilient_receive
from djangochannelsrestframework._engine.memory import ConnectionMemory
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from tests.support.app.models import Item
from tests.support.envelope import connect, reply
from tests.support.load.consumers import LoadConsumer
from tests.support.services import require
from tests.support.settings_services import REDIS_LAYERS

#: A weak reference to every TrackedConsumer made.
made: list[weakref.ref[Any]] = []


class TrackedConsumer(LoadConsumer):
    """The load test's consumer (``subscribe_instance``, shared payloads, and ``watch``, a model
    observer, per socket) recording a weak reference to each instance."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        made.append(weakref.ref(self))


# The groups name the row by primary key only: saves need not read the old row back (as other tests count).
# The observer is LoadConsumer's; the load test's servers, which never import this module, still read it.
TrackedConsumer.item_changes.groups_from_pk_only = True


@pytest.fixture(autouse=True)
def forget_consumers() -> None:
    made.clear()


def alive() -> int:
    gc.collect()
    return sum(1 for ref in made if ref() is not None)


async def alive_within(seconds: float) -> int:
    """The consumers still alive after up to ``seconds`` (closing ones finish in the background)."""
    for _ in range(int(seconds * 10)):
        if not alive():
            break
        await asyncio.sleep(0.1)
    return alive()


@database_sync_to_async
def update(pk: int, value: int) -> None:
    Item(pk=pk, name="watched", value=value).save()


def frames(pk: int, value: int) -> list[dict[str, Any]]:
    data = {"id": pk, "name": "watched", "value": value}
    return [reply("update", data, request_id=1), reply("update", {"id": pk, "value": value}, request_id=2)]


def server_protocol(consumer: Any) -> Any:
    """The server's protocol object of a consumer's socket: what its ASGI ``send`` is a method of."""
    send = consumer.base_send.send  # the send guard (send_guard._GuardedSend) holds the server's send
    assert inspect.ismethod(send)
    return send.__self__


@pytest.mark.django_db(transaction=True)
async def test_closed_consumers_are_freed_after_shared_payloads_in_memory_layer():
    item = await database_sync_to_async(Item.objects.create)(name="watched")
    sockets = [await connect(TrackedConsumer) for _ in range(4)]
    for communicator in sockets:
        await communicator.send_json_to({"action": "subscribe_instance", "pk": item.pk, "request_id": 1})
        assert await communicator.receive_json_from() == reply("subscribe_instance", status=201, request_id=1)
        await communicator.send_json_to({"action": "watch", "pk": item.pk, "request_id": 2})
        assert await communicator.receive_json_from() == reply("watch", status=201, request_id=2)
    for value in (1, 2):
        await update(item.pk, value)
        for communicator in sockets:
            received = [await communicator.receive_json_from() for _ in range(2)]
            assert sorted(received, key=lambda frame: frame["request_id"]) == frames(item.pk, value)
    for communicator in sockets:
        await communicator.disconnect()
    del sockets, communicator
    assert len(made) == 4
    # The fan-out's loop over the group's sockets may still hold the last one for a moment after
    # its event was sent (seen with Channels 4.1): freed within 0.1 s, so a leak is what fails here.
    assert await alive_within(2.0) == 0


@pytest.mark.django_db(transaction=True)
async def test_closed_consumers_and_their_server_protocols_are_freed_on_redis(live_server_url):
    require("Redis")
    item = await database_sync_to_async(Item.objects.create)(name="watched")
    with override_settings(CHANNEL_LAYERS={"default": REDIS_LAYERS["core"]}):
        channel_layers.backends.clear()
        url = live_server_url(TrackedConsumer.as_asgi()) + "/ws/"
        clients = [await websockets.connect(url) for _ in range(10)]
        for ws in clients:
            for message in (
                {"action": "subscribe_instance", "pk": item.pk, "request_id": 1},
                {"action": "watch", "pk": item.pk, "request_id": 2},
            ):
                await ws.send(json.dumps(message))
                assert json.loads(await asyncio.wait_for(ws.recv(), 10))["response_status"] == 201
        for value in (1, 2):
            await update(item.pk, value)
            for ws in clients:
                received = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]
                assert sorted(received, key=lambda frame: frame["request_id"]) == frames(item.pk, value)
        protocols = [weakref.ref(server_protocol(ref())) for ref in made]
        for ws in clients:
            await ws.close()
        assert len(made) == 10
        # A read whose first cancellation was lost is cancelled again until it ends (.cancellation).
        assert await alive_within(8) == 0
        assert all(ref() is None for ref in protocols)
    channel_layers.backends.clear()


class IdleLayerRead:
    """Stands in for a channel layer's read that loses a cancellation, as redis-py's command sends
    do before Python 3.12 when the cancel arrives just as the send completes: it swallows the first
    one, then returns as an idle read does (redis-py's socket timeout).  Counts the reads running."""

    def __init__(self, idle_timeout: float | None = 0.2) -> None:
        self.running = 0
        self.lost = 0
        self.idle_timeout = idle_timeout  # None: wait until cancelled

    async def receive(self, channel: str = "") -> Any:
        self.running += 1
        try:
            while True:
                try:
                    await asyncio.sleep(self.idle_timeout or 30)
                except asyncio.CancelledError:
                    if self.lost:
                        raise
                    self.lost += 1
                if self.idle_timeout is not None:
                    raise redis.exceptions.TimeoutError("Timeout reading from 127.0.0.1:6379")
        finally:
            self.running -= 1

    async def new_channel(self) -> str:
        return "specific.process!"

    async def group_add(self, group: str, channel: str) -> None:
        pass

    async def group_discard(self, group: str, channel: str) -> None:
        pass


def reading_consumer() -> AsyncAPIConsumer:
    consumer = AsyncAPIConsumer()
    consumer.channel_layer = None
    consumer.channel_name = "specific.test!1"
    return consumer


async def test_a_read_whose_cancellation_is_lost_ends_at_its_next_return():
    layer = IdleLayerRead()
    consumer = reading_consumer()
    read = asyncio.ensure_future(resilient_receive(consumer, layer.receive)())
    await asyncio.sleep(0.05)
    read.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(read), 2)
    assert layer.lost == 1 and read.cancelled()


async def test_a_stopped_fanout_receiver_whose_cancellation_is_lost_does_not_read_beside_the_next():
    layer = IdleLayerRead()
    fanout = ProcessFanout(layer)
    consumer = object()
    await fanout.join("DCRF-room", consumer)
    await asyncio.sleep(0.05)
    await fanout.leave("DCRF-room", consumer)  # stops the receiver: its cancellation is lost
    await fanout.join("DCRF-room", consumer)  # a new receiver starts
    await asyncio.sleep(0.6)
    assert layer.running == 1
    await fanout.leave("DCRF-room", consumer)
    await asyncio.sleep(0.3)
    assert layer.running == 0


# -- TRIM_MEMORY_AFTER_CLOSE -------------------------------------------------------------------------


async def test_a_process_trims_once_half_its_connections_closed_at_most_every_ten_seconds(settings):
    settings.DJANGO_CHANNELS_REST_API = {"TRIM_MEMORY_AFTER_CLOSE": True}
    process = ConnectionMemory()
    for _ in range(40):
        process.opened()
    for _ in range(19):
        process.closed()
    await asyncio.sleep(1.2)
    assert (process.open, process.trims) == (21, 0)  # 19 of 40 closed: more than half still open
    process.closed()
    await asyncio.sleep(1.2)
    assert (process.open, process.peak, process.trims) == (20, 20, 1)
    for _ in range(30):
        process.opened()
    for _ in range(50):
        process.closed()
    await asyncio.sleep(1.2)
    assert (process.open, process.trims) == (0, 1)  # the next trim waits for 10 s after the last


async def test_a_few_connections_coming_and_going_trim_nothing(settings):
    settings.DJANGO_CHANNELS_REST_API = {"TRIM_MEMORY_AFTER_CLOSE": True}
    process = ConnectionMemory()
    for _ in range(10):
        process.opened()
        process.closed()
    for _ in range(10):
        process.opened()
    for _ in range(10):
        process.closed()
    await asyncio.sleep(1.2)
    assert process.trims == 0


@pytest.mark.django_db(transaction=True)
async def test_closing_connections_trims_only_with_the_setting_on(settings):
    before = memory.connections.trims
    sockets = [await connect(TrackedConsumer) for _ in range(20)]
    for communicator in sockets:
        await communicator.disconnect()
    await asyncio.sleep(1.2)
    assert memory.connections.trims == before
    settings.DJANGO_CHANNELS_REST_API = {"TRIM_MEMORY_AFTER_CLOSE": True}
    sockets = [await connect(TrackedConsumer) for _ in range(20)]
    for communicator in sockets:
        await communicator.disconnect()
    for _ in range(120):  # up to 12 s: a trim of an earlier test may delay this one
        if memory.connections.trims != before:
            break
        await asyncio.sleep(0.1)
    assert memory.connections.trims == before + 1


def test_a_trim_releases_the_attribute_names_the_type_cache_holds(settings):
    """Names built at run time (``"as_" + vendor``, handler names) stay referenced by CPython's type
    attribute cache; left in the arenas of a burst, each pins its arena.  A trim lets them go."""

    class Looked:
        pass

    name = "".join(["as_", "vendor_", str(id(Looked))])  # built at run time, not interned
    alone = sys.getrefcount(name)
    getattr(Looked, name, None)
    assert sys.getrefcount(name) > alone  # the cache keeps the name
    ConnectionMemory().trim()
    assert sys.getrefcount(name) == alone


async def test_a_stopped_fanout_receiver_ending_late_leaves_its_successor_stoppable():
    layer = IdleLayerRead(idle_timeout=None)  # a read that only ends when cancelled
    fanout = ProcessFanout(layer)
    consumer = object()
    await fanout.join("DCRF-room", consumer)
    await asyncio.sleep(0.05)
    await fanout.leave("DCRF-room", consumer)  # the first receiver's cancellation is lost...
    await fanout.join("DCRF-room", consumer)  # ...so it is still ending when the next one reads
    await asyncio.sleep(0.3)
    assert (layer.lost, layer.running) == (1, 1)
    await fanout.leave("DCRF-room", consumer)
    await asyncio.sleep(0.3)
    assert layer.running == 0
    assert fanout._task is None
