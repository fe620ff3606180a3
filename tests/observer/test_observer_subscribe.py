"""channels-api's ``subscribe`` action (SubscribeModelMixin): event kind and pk filters."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from tests.support.app.models import Item
from tests.support.envelope import connect, reply
from tests.support.subscribe_consumers import GuardedSubscribeConsumer, PositiveItemConsumer, SubscribeItemConsumer

pytestmark = pytest.mark.django_db(transaction=True)


def row(item: Item) -> dict[str, Any]:
    return {"id": item.pk, "name": item.name, "value": item.value}


async def subscribed(consumer: Any, *subscriptions: dict[str, Any]) -> WebsocketCommunicator:
    communicator = await connect(consumer)
    for subscription in subscriptions:
        await communicator.send_json_to({"action": "subscribe", **subscription})
        kind = subscription["data"]["action"]
        assert await communicator.receive_json_from() == reply(
            "subscribe", {"action": kind}, request_id=subscription.get("request_id")
        )
    return communicator


async def test_create_events_of_every_object() -> None:
    communicator = await subscribed(SubscribeItemConsumer, {"data": {"action": "create"}, "request_id": "new"})
    item = await Item.objects.acreate(name="ant", value=1)
    assert await communicator.receive_json_from() == reply("create", row(item), request_id="new")
    item.value = 2
    await item.asave()  # an update: not what was asked for
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_update_events_of_every_object() -> None:
    first = await Item.objects.acreate(name="ant", value=1)
    second = await Item.objects.acreate(name="bee", value=1)
    communicator = await subscribed(SubscribeItemConsumer, {"data": {"action": "update"}, "request_id": "u"})
    await Item.objects.acreate(name="new", value=0)  # a create: not asked for
    for item in (first, second):
        item.value = 5
        await item.asave()
        assert await communicator.receive_json_from() == reply("update", row(item), request_id="u")
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_update_events_of_one_object() -> None:
    watched = await Item.objects.acreate(name="ant", value=1)
    other = await Item.objects.acreate(name="bee", value=1)
    communicator = await subscribed(
        SubscribeItemConsumer, {"pk": watched.pk, "data": {"action": "update"}, "request_id": 7}
    )
    other.value = 3
    await other.asave()
    watched.value = 4
    await watched.asave()
    assert await communicator.receive_json_from() == reply("update", row(watched), request_id=7)
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_delete_events_of_one_object() -> None:
    watched = await Item.objects.acreate(name="ant", value=1)
    other = await Item.objects.acreate(name="bee", value=1)
    pk = watched.pk
    communicator = await subscribed(SubscribeItemConsumer, {"pk": pk, "data": {"action": "delete"}, "request_id": "d"})
    await other.adelete()
    await watched.adelete()
    assert await communicator.receive_json_from() == reply("delete", {"pk": pk}, status=204, request_id="d")
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_one_request_id_subscribed_twice_gets_each_change_once() -> None:
    item = await Item.objects.acreate(name="ant", value=1)
    communicator = await subscribed(
        SubscribeItemConsumer,
        {"data": {"action": "update"}, "request_id": "both"},
        {"pk": item.pk, "data": {"action": "update"}, "request_id": "both"},
        {"pk": item.pk, "data": {"action": "update"}, "request_id": "mine"},
    )
    item.value = 2
    await item.asave()
    events = [await communicator.receive_json_from() for _ in range(2)]
    assert sorted(events, key=lambda event: event["request_id"]) == [
        reply("update", row(item), request_id="both"),
        reply("update", row(item), request_id="mine"),
    ]
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_a_subscriber_who_may_not_see_an_object_gets_nothing_for_it() -> None:
    communicator = await subscribed(PositiveItemConsumer, {"data": {"action": "create"}, "request_id": "c"})
    await Item.objects.acreate(name="hidden", value=-1)
    assert await communicator.receive_nothing()
    shown = await Item.objects.acreate(name="shown", value=1)
    assert await communicator.receive_json_from() == reply("create", row(shown), request_id="c")
    await communicator.disconnect()


async def test_object_permissions_are_checked_per_event() -> None:
    communicator = await subscribed(GuardedSubscribeConsumer, {"data": {"action": "create"}, "request_id": "c"})
    await Item.objects.acreate(name="hidden", value=-1)
    assert await communicator.receive_nothing()
    shown = await Item.objects.acreate(name="shown", value=1)
    assert await communicator.receive_json_from() == reply("create", row(shown), request_id="c")
    await communicator.disconnect()


async def test_an_object_that_leaves_the_subscribers_queryset_stops_its_events() -> None:
    item = await Item.objects.acreate(name="ant", value=1)
    communicator = await subscribed(
        PositiveItemConsumer, {"pk": item.pk, "data": {"action": "update"}, "request_id": 1}
    )
    item.value = -5
    await item.asave()
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_subscribing_to_an_object_one_may_not_see_is_a_404() -> None:
    hidden = await Item.objects.acreate(name="hidden", value=-1)
    communicator = await connect(PositiveItemConsumer)
    await communicator.send_json_to(
        {"action": "subscribe", "pk": hidden.pk, "data": {"action": "update"}, "request_id": 2}
    )
    assert await communicator.receive_json_from() == reply("subscribe", status=404, errors=["Not found"], request_id=2)
    await communicator.disconnect()


async def test_unsubscribe_stops_the_events() -> None:
    communicator = await subscribed(SubscribeItemConsumer, {"data": {"action": "create"}, "request_id": "c"})
    await communicator.send_json_to({"action": "unsubscribe", "data": {"action": "create"}, "request_id": "c"})
    assert await communicator.receive_json_from() == reply("unsubscribe", {"action": "create"}, request_id="c")
    await Item.objects.acreate(name="ant", value=1)
    assert await communicator.receive_nothing()
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({}, ["action required"]),
        (None, ["action required"]),
        ({"action": "rename"}, [{"action": ["'rename' is not one of: create, update, delete."]}]),
    ],
)
async def test_a_subscription_needs_a_known_event_kind(data: Any, errors: list[Any]) -> None:
    communicator = await connect(SubscribeItemConsumer)
    await communicator.send_json_to({"action": "subscribe", "data": data, "request_id": 3})
    assert await communicator.receive_json_from() == reply("subscribe", status=400, errors=errors, request_id=3)
    await communicator.disconnect()


async def test_events_are_sent_after_commit_once_per_change() -> None:
    item = await Item.objects.acreate(name="ant", value=1)
    communicator = await subscribed(SubscribeItemConsumer, {"data": {"action": "update"}, "request_id": "u"})

    def two_saves_in_one_transaction() -> None:
        with transaction.atomic():
            item.value = 2
            item.save()
            item.value = 3
            item.save()

    await sync_to_async(two_saves_in_one_transaction)()
    assert await communicator.receive_json_from() == reply("update", row(item), request_id="u")
    assert await communicator.receive_nothing()

    def rolled_back() -> None:
        with transaction.atomic():
            item.value = 9
            item.save()
            transaction.set_rollback(True)

    await sync_to_async(rolled_back)()
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_an_instance_serving_one_socket_after_another_forgets_the_last_sockets_subscriptions() -> None:
    # DCRF-style routing may pass one consumer instance (``SubscribeItemConsumer()``) for every connection.
    consumer = SubscribeItemConsumer()
    for request_id in ("first", "second"):
        communicator = WebsocketCommunicator(consumer, "/ws/")
        assert (await communicator.connect())[0]
        await communicator.send_json_to({"action": "subscribe", "data": {"action": "create"}, "request_id": request_id})
        assert await communicator.receive_json_from() == reply("subscribe", {"action": "create"}, request_id=request_id)
        item = await Item.objects.acreate(name=request_id, value=1)
        assert await communicator.receive_json_from() == reply("create", row(item), request_id=request_id)
        assert await communicator.receive_nothing()
        await communicator.disconnect()
