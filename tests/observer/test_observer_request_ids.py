"""A request_id may be any JSON value, an object or an array included: subscriptions keep it and
every event echoes it unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from tests.support.app.models import Item
from tests.support.envelope import connect, reply
from tests.support.generic_consumers import SlowStreamedItemConsumer, ask, open_socket
from tests.support.observer_consumers import ItemActivityConsumer, ItemInstanceConsumer

pytestmark = pytest.mark.django_db(transaction=True)

OBJECT_ID = {"client": "tab-1", "seq": [1, 2]}
SAME_OBJECT_ID_REORDERED = {"seq": [1, 2], "client": "tab-1"}
ARRAY_ID = ["sub", 7, {"x": None}]


@database_sync_to_async
def create(name: str) -> Item:
    return Item.objects.create(name=name)


@database_sync_to_async
def rename(item: Item, name: str) -> None:
    item.name = name
    item.save()


@pytest.mark.parametrize("request_id", [OBJECT_ID, ARRAY_ID], ids=["object", "array"])
async def test_subscribe_instance_with_an_unhashable_request_id(request_id: Any) -> None:
    item = await create("a")
    pk = item.pk
    communicator = await connect(ItemInstanceConsumer)
    assert await ask(communicator, {"action": "subscribe_instance", "pk": pk, "request_id": request_id}) == reply(
        "subscribe_instance", status=201, request_id=request_id
    )
    await rename(item, "b")
    assert await communicator.receive_json_from() == reply(
        "update", {"id": pk, "name": "b", "value": 0}, request_id=request_id
    )
    await database_sync_to_async(item.delete)()
    assert await communicator.receive_json_from() == reply("delete", {"pk": pk}, status=204, request_id=request_id)
    await communicator.disconnect()


async def test_unsubscribe_instance_with_an_object_request_id_ends_only_that_subscription() -> None:
    item = await create("a")
    communicator = await connect(ItemInstanceConsumer)
    for request_id in (OBJECT_ID, ARRAY_ID):
        await ask(communicator, {"action": "subscribe_instance", "pk": item.pk, "request_id": request_id})
    # Equal JSON objects are the same id, whatever the order of their keys.
    message = {"action": "unsubscribe_instance", "pk": item.pk, "request_id": SAME_OBJECT_ID_REORDERED}
    assert await ask(communicator, message) == reply(
        "unsubscribe_instance", status=204, request_id=SAME_OBJECT_ID_REORDERED
    )
    await rename(item, "b")
    assert await communicator.receive_json_from() == reply(
        "update", {"id": item.pk, "name": "b", "value": 0}, request_id=ARRAY_ID
    )
    assert await communicator.receive_nothing()
    await communicator.disconnect()


@pytest.mark.parametrize("request_id", [OBJECT_ID, ARRAY_ID], ids=["object", "array"])
async def test_model_observer_subscribe_with_an_unhashable_request_id(request_id: Any) -> None:
    communicator = await connect(ItemActivityConsumer)
    assert await ask(communicator, {"action": "subscribe", "request_id": request_id}) == reply(
        "subscribe", status=201, request_id=request_id
    )
    item = await create("a")
    assert await communicator.receive_json_from() == reply(
        "create", {"id": item.pk, "name": "a", "value": 0}, request_id=request_id
    )
    assert await ask(communicator, {"action": "unsubscribe", "request_id": request_id}) == reply(
        "unsubscribe", status=204, request_id=request_id
    )
    await rename(item, "b")
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_streamed_list_and_list_cancel_with_an_object_request_id() -> None:
    items = [await create(f"item {number}") for number in range(3)]
    async with open_socket(SlowStreamedItemConsumer) as ws:
        await ws.send_json_to({"action": "list", "limit": 1, "request_id": OBJECT_ID})
        first = {"id": items[0].pk, "name": "item 0", "value": 0}
        assert await ws.receive_json_from(timeout=5) == reply(
            "list", {"count": 3, "results": [first], "limit": 1, "offset": 0}, request_id=OBJECT_ID
        )
        assert await ask(ws, {"action": "list_cancel", "request_id": SAME_OBJECT_ID_REORDERED}) == reply(
            "list_cancel", request_id=SAME_OBJECT_ID_REORDERED
        )
        assert await ws.receive_nothing(timeout=0.6)
