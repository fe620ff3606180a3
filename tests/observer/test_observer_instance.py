"""ObserverModelInstanceMixin: subscribe to one object, get its updates and deletion."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User

from djangochannelsrestframework import permissions
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin
from djangochannelsrestframework.testing import WebsocketClient
from tests.support.app.models import Board, Item
from tests.support.envelope import connect, reply
from tests.support.observer_consumers import (
    BoardInstanceConsumer,
    GuardedItemConsumer,
    ItemByNameConsumer,
    ItemInstanceConsumer,
    ItemSerializer,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def subscribe(communicator, pk, request_id):
    await communicator.send_json_to({"action": "subscribe_instance", "pk": pk, "request_id": request_id})
    return await communicator.receive_json_from()


@database_sync_to_async
def run(func):
    return func()


@database_sync_to_async
def save(item, **values):
    for key, value in values.items():
        setattr(item, key, value)
    item.save()


async def test_subscribe_then_update_sends_the_consumer_serializer_data():
    item = await run(lambda: Item.objects.create(name="a"))
    async with WebsocketClient(ItemInstanceConsumer) as client:
        subscribed = await client.call("subscribe_instance", pk=item.pk)
        assert subscribed == reply("subscribe_instance", status=201, request_id=1)
        await save(item, name="renamed")
        assert await client.event(request_id=1) == reply(
            "update", {"id": item.pk, "name": "renamed", "value": 0}, request_id=1
        )
        await client.assert_nothing_pending()


async def test_delete_sends_the_pk_with_204():
    item = await run(lambda: Item.objects.create(name="a"))
    pk = item.pk
    communicator = await connect(ItemInstanceConsumer)
    await subscribe(communicator, pk, 4)
    await run(item.delete)
    assert await communicator.receive_json_from() == reply("delete", {"pk": pk}, status=204, request_id=4)
    await communicator.disconnect()


async def test_subscribe_without_request_id_is_a_400_naming_it():
    communicator = await connect(ItemInstanceConsumer)
    await communicator.send_json_to({"action": "subscribe_instance", "pk": 1})
    assert await communicator.receive_json_from() == reply(
        "subscribe_instance", status=400, errors=[{"request_id": ["This argument is required."]}]
    )
    await communicator.disconnect()


async def test_subscribe_to_a_missing_object_is_a_404():
    communicator = await connect(ItemInstanceConsumer)
    assert await subscribe(communicator, 999, 1) == reply(
        "subscribe_instance", status=404, request_id=1, errors=["Not found"]
    )
    await communicator.disconnect()


async def test_subscribe_to_a_denied_object_is_a_403():
    item = await run(lambda: Item.objects.create(name="a", value=-1))
    communicator = await connect(GuardedItemConsumer)
    assert await subscribe(communicator, item.pk, 1) == reply(
        "subscribe_instance", status=403, request_id=1, errors=["You do not have permission to perform this action."]
    )
    await communicator.disconnect()


async def test_observer_works_with_get_queryset_and_no_queryset_attribute():
    item = await run(lambda: Item.objects.create(name="a"))
    communicator = await connect(GuardedItemConsumer)
    assert await subscribe(communicator, item.pk, 1) == reply("subscribe_instance", status=201, request_id=1)
    await save(item, value=3)
    assert await communicator.receive_json_from() == reply(
        "update", {"id": item.pk, "name": "a", "value": 3}, request_id=1
    )
    await communicator.disconnect()


async def test_event_the_subscriber_may_no_longer_see_sends_nothing():
    item = await run(lambda: Item.objects.create(name="a"))
    communicator = await connect(GuardedItemConsumer)
    await subscribe(communicator, item.pk, 1)
    await save(item, value=-5)
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_subscriber_denied_by_has_permission_gets_nothing():
    item = await run(lambda: Item.objects.create(name="a"))
    async with WebsocketClient(GuardedItemConsumer) as allowed, WebsocketClient(GuardedItemConsumer) as denied:
        await allowed.call("subscribe_instance", pk=item.pk)
        await denied.call("subscribe_instance", pk=item.pk)
        denied.scope["deny"] = True  # the consumer sees the same scope
        await save(item, value=1)
        assert await allowed.event(action="update") == reply(
            "update", {"id": item.pk, "name": "a", "value": 1}, request_id=1
        )
        await denied.assert_nothing_pending()


async def test_unsubscribe_by_request_id_keeps_the_other_subscriptions():
    item = await run(lambda: Item.objects.create(name="a"))
    async with WebsocketClient(ItemInstanceConsumer) as client:
        first = await client.call("subscribe_instance", pk=item.pk)
        second = await client.call("subscribe_instance", pk=item.pk)
        unsubscribed = await client.call("unsubscribe_instance", pk=item.pk, request_id=first.request_id)
        assert unsubscribed == reply("unsubscribe_instance", status=204, request_id=first.request_id)
        await save(item, value=7)
        assert await client.event(action="update") == reply(
            "update", {"id": item.pk, "name": "a", "value": 7}, request_id=second.request_id
        )
        await client.assert_nothing_pending()


async def test_unsubscribe_works_after_the_object_was_deleted():
    item = await run(lambda: Item.objects.create(name="a"))
    pk = item.pk
    consumer = ItemInstanceConsumer()
    communicator = WebsocketCommunicator(consumer, "/ws/")
    await communicator.connect()
    await subscribe(communicator, pk, 1)
    await run(item.delete)
    await communicator.receive_json_from()
    await communicator.send_json_to({"action": "unsubscribe_instance", "pk": pk})
    assert await communicator.receive_json_from() == reply("unsubscribe_instance", status=204)
    assert consumer.subscribed_requests == {}
    assert consumer.groups == set()
    await communicator.disconnect()


async def test_retrieve_is_available():
    item = await run(lambda: Item.objects.create(name="a"))
    communicator = await connect(ItemInstanceConsumer)
    await communicator.send_json_to({"action": "retrieve", "pk": item.pk, "request_id": 9})
    assert await communicator.receive_json_from() == reply(
        "retrieve", {"id": item.pk, "name": "a", "value": 0}, request_id=9
    )
    await communicator.disconnect()


async def test_many_to_many_change_is_an_update():
    board = await run(lambda: Board.objects.create(name="b"))
    user = await run(lambda: User.objects.create(username="u"))
    communicator = await connect(BoardInstanceConsumer)
    await subscribe(communicator, board.pk, 1)
    await run(lambda: board.members.add(user))
    assert await communicator.receive_json_from() == reply(
        "update", {"id": board.pk, "name": "b", "members": [user.pk]}, request_id=1
    )
    await communicator.disconnect()


async def test_lookup_field_other_than_pk_works_for_subscriptions():
    item = await run(lambda: Item.objects.create(name="unique"))
    communicator = await connect(ItemByNameConsumer)
    await communicator.send_json_to({"action": "subscribe_instance", "name": "unique", "request_id": 1})
    assert await communicator.receive_json_from() == reply("subscribe_instance", status=201, request_id=1)
    await save(item, value=4)
    assert await communicator.receive_json_from() == reply(
        "update", {"id": item.pk, "name": "unique", "value": 4}, request_id=1
    )
    await communicator.send_json_to({"action": "unsubscribe_instance", "name": "unique"})
    assert await communicator.receive_json_from() == reply("unsubscribe_instance", status=204)
    await save(item, value=5)
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_many_to_many_change_from_the_other_side_is_an_update():
    board = await run(lambda: Board.objects.create(name="b"))
    user = await run(lambda: User.objects.create(username="u"))
    communicator = await connect(BoardInstanceConsumer)
    await subscribe(communicator, board.pk, 1)
    await run(lambda: user.boards.add(board))
    assert await communicator.receive_json_from() == reply(
        "update", {"id": board.pk, "name": "b", "members": [user.pk]}, request_id=1
    )
    await run(lambda: user.boards.clear())
    assert await communicator.receive_json_from() == reply(
        "update", {"id": board.pk, "name": "b", "members": []}, request_id=1
    )
    await communicator.disconnect()


class NonNegativeItemConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    """Items with a value of 0 or more: the queryset filters, so every socket shares one outcome."""

    queryset = Item.objects.filter(value__gte=0)
    serializer_class = ItemSerializer
    permission_classes = (permissions.AllowAny,)


@pytest.mark.parametrize("consumer_class", [NonNegativeItemConsumer, GuardedItemConsumer])
async def test_the_delete_of_an_object_that_left_the_subscribers_sight_is_not_sent(consumer_class):
    """Filtered out of ``get_queryset`` (NonNegativeItemConsumer) or denied by an object permission
    (GuardedItemConsumer): its update sent nothing, and neither does its deletion."""
    item = await run(lambda: Item.objects.create(name="a"))
    async with WebsocketClient(consumer_class) as client:
        await client.call("subscribe_instance", pk=item.pk)
        await save(item, value=-5)
        await client.assert_nothing_pending()  # the update was handled (a row gone by then would not count)
        await run(item.delete)
        await client.assert_nothing_pending()


async def test_an_object_back_in_sight_sends_its_delete_again():
    item = await run(lambda: Item.objects.create(name="a"))
    pk = item.pk
    async with WebsocketClient(NonNegativeItemConsumer) as client:
        await client.call("subscribe_instance", pk=pk)
        await save(item, value=-5)
        await save(item, value=2)
        assert await client.event(action="update") == reply("update", {"id": pk, "name": "a", "value": 2}, request_id=1)
        await run(item.delete)
        assert await client.event(action="delete") == reply("delete", {"pk": pk}, status=204, request_id=1)
        await client.assert_nothing_pending()


async def test_a_subscription_after_the_object_came_back_gets_its_delete():
    """Subscribing again proves the object visible: its delete is sent although the last change
    this socket saw had hidden it (and, reaching this socket before it subscribed, sent nothing)."""
    item = await run(lambda: Item.objects.create(name="a"))
    pk = item.pk
    async with WebsocketClient(NonNegativeItemConsumer) as client:
        await client.call("subscribe_instance", pk=pk)
        await save(item, value=-5)
        await client.assert_nothing_pending()
        await run(lambda: Item.objects.filter(pk=pk).update(value=1))  # no event
        await client.call("subscribe_instance", pk=pk)
        await run(lambda: Item.objects.get(pk=pk).delete())
        assert [await client.event(action="delete") for _ in range(2)] == [
            reply("delete", {"pk": pk}, status=204, request_id=1),
            reply("delete", {"pk": pk}, status=204, request_id=2),
        ]
        await client.assert_nothing_pending()
