"""The realtime pages (observers, instance subscriptions, transactions, scaling), replayed.

Their message exchanges include events caused by database writes, which the generic replay in
``tests/docs/test_docs_examples.py`` cannot trigger; each test here performs the write the page
describes, asserts the exact messages, and checks that the page shows those same messages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.db import transaction

from djangochannelsrestframework.decorators import action
from docs.examples.observers_instance import LiveItemConsumer
from docs.examples.observers_model import ItemFeedConsumer, MyCommentsConsumer
from docs.examples.observers_signal import ShippingConsumer, order_shipped
from docs.examples.observers_transactions import abandoned_order, partial_import, restock, unobserved_writes
from tests.support.app.models import Comment, Item
from tests.support.envelope import reply

DOCS = Path(__file__).resolve().parents[2] / "docs"

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


def shown(page: str, *messages: Any) -> None:
    """Each message appears on the page, written as ``json.dumps`` writes it."""
    text = (DOCS / page).read_text(encoding="utf-8")
    for message in messages:
        line = json.dumps(message, ensure_ascii=False)
        assert line in text, f"{page} does not show {line}"


async def connect(consumer_class: Any, user: Any = None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(consumer_class.as_asgi(), "/ws/")
    if user is not None:
        communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def exchange(communicator: WebsocketCommunicator, message: dict[str, Any]) -> Any:
    await communicator.send_json_to(message)
    return await communicator.receive_json_from()


@database_sync_to_async
def run(func: Any) -> Any:
    return func()


# -- observers.rst ------------------------------------------------------------------------------


async def feed(request_id: int = 1) -> WebsocketCommunicator:
    communicator = await connect(ItemFeedConsumer)
    subscribe = {"action": "subscribe", "request_id": request_id}
    answer = reply("subscribe", status=201, request_id=request_id)
    assert await exchange(communicator, subscribe) == answer
    shown("observers.rst", subscribe, answer)
    return communicator


async def test_model_observer_sends_create_update_and_delete() -> None:
    communicator = await feed()
    item = await run(lambda: Item.objects.create(name="apple", value=3))
    created = reply("create", {"id": 1, "name": "apple", "value": 3}, request_id=1)
    assert await communicator.receive_json_from() == created

    def rename() -> None:
        item.name = "pear"
        item.save()

    await run(rename)
    updated = reply("update", {"id": 1, "name": "pear", "value": 3}, request_id=1)
    assert await communicator.receive_json_from() == updated
    await run(item.delete)
    deleted = reply("delete", {"id": 1, "name": "pear", "value": 3}, request_id=1)
    assert await communicator.receive_json_from() == deleted
    shown("observers.rst", created, updated, deleted)
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_model_observer_channel_layer_message() -> None:
    [message] = ItemFeedConsumer.item_changes.generate_messages(Item(pk=1, name="apple", value=3), set(), {"G"})
    group = ItemFeedConsumer.item_changes.group_names_for_signal(instance=Item(pk=1))[0]
    layer_message = {**message, "group": group}
    assert layer_message == {
        "type": "item.changes",
        "body": {"id": 1, "name": "apple", "value": 3},
        "action": "create",
        "group": group,
    }
    assert group.startswith("DCRF-") and len(group) == 69
    shown("observers.rst", {**layer_message, "group": "DCRF-…"})


async def test_unsubscribe_by_request_id_ends_only_that_subscription() -> None:
    communicator = await feed(request_id=1)
    await communicator.send_json_to({"action": "subscribe", "request_id": 2})
    assert await communicator.receive_json_from() == reply("subscribe", status=201, request_id=2)
    unsubscribe = {"action": "unsubscribe", "request_id": 1}
    answer = reply("unsubscribe", status=204, request_id=1)
    assert await exchange(communicator, unsubscribe) == answer
    await run(lambda: Item.objects.create(name="fig", value=1))
    event = reply("create", {"id": 1, "name": "fig", "value": 1}, request_id=2)
    assert await communicator.receive_json_from() == event
    assert await communicator.receive_nothing()
    shown("observers.rst", unsubscribe, answer, event)
    await communicator.disconnect()


async def test_filtered_observer_sends_each_user_only_their_comments() -> None:
    ada, bob = await run(lambda: (User.objects.create(username="ada"), User.objects.create(username="bob")))
    ada_socket = await connect(MyCommentsConsumer, ada)
    bob_socket = await connect(MyCommentsConsumer, bob)
    watch = {"action": "watch_my_comments"}
    answer = reply("watch_my_comments", status=201)
    for communicator in (ada_socket, bob_socket):
        assert await exchange(communicator, watch) == answer
    await run(lambda: Comment.objects.create(user=ada, text="Hello"))
    event = {"event": "create", "comment": {"id": 1, "text": "Hello"}}
    assert await ada_socket.receive_json_from() == event
    assert await bob_socket.receive_nothing()
    shown("observers.rst", watch, answer, event)
    for communicator in (ada_socket, bob_socket):
        await communicator.disconnect()


async def test_signal_observer_delivers_to_the_customer_tracking_it() -> None:
    ada_socket = await connect(ShippingConsumer)
    bob_socket = await connect(ShippingConsumer)
    track = {"action": "track", "customer": "ada", "request_id": "t1"}
    answer = reply("track", status=201, request_id="t1")
    assert await exchange(ada_socket, track) == answer
    await bob_socket.send_json_to({"action": "track", "customer": "bob", "request_id": "t2"})
    await bob_socket.receive_json_from()
    await sync_to_async(order_shipped.send)(sender=None, customer="ada", order=42)
    event = reply("shipped", {"order": 42}, request_id="t1")
    assert await ada_socket.receive_json_from() == event
    assert await bob_socket.receive_nothing()
    shown("observers.rst", track, answer, event)

    untrack = {"action": "untrack", "customer": "ada", "request_id": "t1"}
    untracked = reply("untrack", status=204, request_id="t1")
    assert await exchange(ada_socket, untrack) == untracked
    await sync_to_async(order_shipped.send)(sender=None, customer="ada", order=43)
    assert await ada_socket.receive_nothing()
    shown("observers.rst", untrack, untracked)
    for communicator in (ada_socket, bob_socket):
        await communicator.disconnect()


# -- instance_subscriptions.rst -----------------------------------------------------------------


async def subscribed_to_item(value: int = 3) -> tuple[WebsocketCommunicator, Item]:
    item = await run(lambda: Item.objects.create(name="apple", value=value))
    communicator = await connect(LiveItemConsumer)
    subscribe = {"action": "subscribe_instance", "pk": 1, "request_id": 7}
    answer = reply("subscribe_instance", status=201, request_id=7)
    assert await exchange(communicator, subscribe) == answer
    shown("instance_subscriptions.rst", subscribe, answer)
    return communicator, item


@database_sync_to_async
def save(item: Item, **values: Any) -> None:
    for key, value in values.items():
        setattr(item, key, value)
    item.save()


async def test_instance_update_and_delete_events() -> None:
    communicator, item = await subscribed_to_item()
    await save(item, name="pear")
    updated = reply("update", {"id": 1, "name": "pear", "value": 3}, request_id=7)
    assert await communicator.receive_json_from() == updated
    await run(item.delete)
    deleted = reply("delete", {"pk": 1}, status=204, request_id=7)
    assert await communicator.receive_json_from() == deleted
    assert await communicator.receive_nothing()
    shown("instance_subscriptions.rst", updated, deleted)
    await communicator.disconnect()


async def test_instance_unsubscribe() -> None:
    communicator, item = await subscribed_to_item()
    unsubscribe = {"action": "unsubscribe_instance", "pk": 1, "request_id": 7}
    answer = reply("unsubscribe_instance", status=204, request_id=7)
    assert await exchange(communicator, unsubscribe) == answer
    await save(item, name="pear")
    assert await communicator.receive_nothing()
    shown("instance_subscriptions.rst", unsubscribe, answer)
    await communicator.disconnect()


async def test_instance_subscription_without_request_id_is_refused() -> None:
    communicator = await connect(LiveItemConsumer)
    subscribe = {"action": "subscribe_instance", "pk": 1}
    answer = {**reply("subscribe_instance", status=400), "errors": [{"request_id": ["This argument is required."]}]}
    assert await exchange(communicator, subscribe) == answer
    shown("instance_subscriptions.rst", subscribe, answer)
    await communicator.disconnect()


async def test_events_are_permission_checked_each_time() -> None:
    communicator, item = await subscribed_to_item()
    await save(item, value=-1)
    assert await communicator.receive_nothing()
    await save(item, value=5)
    visible = reply("update", {"id": 1, "name": "apple", "value": 5}, request_id=7)
    assert await communicator.receive_json_from() == visible
    shown("instance_subscriptions.rst", visible)
    await communicator.disconnect()


async def test_subscribing_to_a_private_item_is_forbidden() -> None:
    await run(lambda: Item.objects.create(name="secret", value=-1))
    communicator = await connect(LiveItemConsumer)
    subscribe = {"action": "subscribe_instance", "pk": 1, "request_id": 8}
    answer = {
        **reply("subscribe_instance", status=403, request_id=8),
        "errors": ["You do not have permission to perform this action."],
    }
    assert await exchange(communicator, subscribe) == answer
    shown("instance_subscriptions.rst", subscribe, answer)
    await communicator.disconnect()


# -- transactions.rst ---------------------------------------------------------------------------


async def test_several_saves_in_one_transaction_send_one_event_with_the_final_state() -> None:
    communicator = await feed()
    await run(restock)
    event = reply("create", {"id": 1, "name": "apple", "value": 3}, request_id=1)
    assert await communicator.receive_json_from() == event
    assert await communicator.receive_nothing()
    shown("transactions.rst", event)
    await communicator.disconnect()


async def test_a_rolled_back_transaction_sends_nothing() -> None:
    communicator = await feed()
    await run(abandoned_order)
    assert await communicator.receive_nothing()
    assert await run(Item.objects.count) == 0
    await communicator.disconnect()


async def test_a_rolled_back_savepoint_drops_its_own_events() -> None:
    communicator = await feed()
    await run(partial_import)
    event = reply("create", {"id": 1, "name": "kept", "value": 1}, request_id=1)
    assert await communicator.receive_json_from() == event
    assert await communicator.receive_nothing()
    shown("transactions.rst", event)
    await communicator.disconnect()


async def test_bulk_and_raw_writes_are_not_observed() -> None:
    await run(lambda: Item.objects.create(name="apple", value=3))
    communicator = await feed()
    await run(unobserved_writes)
    assert await communicator.receive_nothing()
    assert await run(lambda: sorted(Item.objects.values_list("name", "value"))) == [
        ("apple", 11),
        ("lime", 1),
        ("plum", 1),
    ]
    await communicator.disconnect()


# -- scaling.rst --------------------------------------------------------------------------------


def test_the_redis_settings_name_real_backends() -> None:
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer
    from django.utils.module_loading import import_string

    from docs.examples.observers_settings import CHANNEL_LAYERS, PUBSUB_CHANNEL_LAYERS

    assert import_string(CHANNEL_LAYERS["default"]["BACKEND"]) is RedisChannelLayer
    assert import_string(PUBSUB_CHANNEL_LAYERS["default"]["BACKEND"]) is RedisPubSubChannelLayer
    RedisChannelLayer(**CHANNEL_LAYERS["default"]["CONFIG"])
    RedisPubSubChannelLayer(**PUBSUB_CHANNEL_LAYERS["default"]["CONFIG"])


async def test_update_then_delete_in_one_transaction_is_one_delete() -> None:
    item = await run(lambda: Item.objects.create(name="apple", value=3))
    communicator = await feed()

    def work() -> None:
        with transaction.atomic():
            item.value = 4
            item.save()
            item.delete()

    await run(work)
    assert await communicator.receive_json_from() == reply(
        "delete", {"id": 1, "name": "apple", "value": 4}, request_id=1
    )
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_signal_observer_subscribe_accepts_positional_arguments() -> None:
    class PositionalShipping(ShippingConsumer):
        @action()
        async def track_positionally(self, customer, **kwargs):
            await self.shipments.subscribe(customer, request_id="p")
            return None, 201

    communicator = await connect(PositionalShipping)
    await communicator.send_json_to({"action": "track_positionally", "customer": "ada"})
    assert await communicator.receive_json_from() == reply("track_positionally", status=201)
    await sync_to_async(order_shipped.send)(sender=None, customer="ada", order=42)
    assert await communicator.receive_json_from() == reply("shipped", {"order": 42}, request_id="p")
    await communicator.disconnect()
