"""Hostile clients: caps with their 4xx replies and log lines, no method but actions callable,
group names from client input that cannot reach other groups, and a channel layer that is down."""

from __future__ import annotations

import logging
import re

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import override_settings

from djangochannelsrestframework import limits
from tests.support.app.models import Item
from tests.support.envelope import connect, refused_for_too_many, reply
from tests.support.observer_consumers import ItemInstanceConsumer
from tests.support.security_consumers import RoomConsumer

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def run(func):
    return func()


def refusals(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "djangochannelsrestframework" and r.levelno == logging.WARNING
    ]


async def test_subscriptions_per_connection_are_capped(settings, caplog):
    settings.DJANGO_CHANNELS_REST_API = {"MAX_SUBSCRIPTIONS_PER_CONNECTION": 2}
    items = await run(lambda: [Item.objects.create(name=str(n)) for n in range(3)])
    communicator = await connect(ItemInstanceConsumer)
    for n, item in enumerate(items[:2]):
        await communicator.send_json_to({"action": "subscribe_instance", "pk": item.pk, "request_id": n})
        assert await communicator.receive_json_from() == reply("subscribe_instance", status=201, request_id=n)
    # The same object again joins no new group, so it is not refused.
    await communicator.send_json_to({"action": "subscribe_instance", "pk": items[0].pk, "request_id": 7})
    assert await communicator.receive_json_from() == reply("subscribe_instance", status=201, request_id=7)
    await communicator.send_json_to({"action": "subscribe_instance", "pk": items[2].pk, "request_id": 8})
    assert await communicator.receive_json_from() == reply(
        "subscribe_instance",
        errors=["Too many subscriptions on this connection; unsubscribe from something first."],
        status=429,
        request_id=8,
    )
    assert len([m for m in refusals(caplog) if m.startswith("Refusing a subscription")]) == 1
    await communicator.disconnect()


async def test_connections_per_user_are_capped(settings, caplog):
    settings.DJANGO_CHANNELS_REST_API = {"MAX_CONNECTIONS_PER_USER": 2}
    user = await run(lambda: User.objects.create_user(username="ada"))
    first = await connect(ItemInstanceConsumer, user=user)
    second = await connect(ItemInstanceConsumer, user=user)
    await refused_for_too_many(ItemInstanceConsumer, 2, user=user)
    assert refusals(caplog) == [f"Refusing a connection of user {user.pk}: 2 open, the limit is 2"]
    await first.disconnect()
    fourth = await connect(ItemInstanceConsumer, user=user)  # a slot is free again
    assert limits.open_connections((User, user.pk)) == 2
    await second.disconnect()
    await fourth.disconnect()
    assert limits.open_connections((User, user.pk)) == 0


async def test_message_size_and_detached_task_caps_log_a_line(settings, caplog):
    settings.DJANGO_CHANNELS_REST_API = {"MAX_MESSAGE_SIZE": 30}
    communicator = await connect(ItemInstanceConsumer)
    await communicator.send_to(text_data='{"action": "retrieve", "pk": 1, "x": "long"}')
    assert await communicator.receive_json_from() == reply(
        None, errors=["Message is too large; the limit is 30 characters."], status=413
    )
    assert refusals(caplog) == ["Refusing a frame of 44 characters; the limit is 30"]
    await communicator.disconnect()


NON_ACTIONS = [
    "__init__",
    "__class__",
    "dispatch",
    "websocket_connect",
    "websocket_disconnect",
    "add_group",
    "remove_group",
    "check_permissions",
    "handle_action",
    "handle_exception",
    "reply",
    "send_json",
    "close",
    "get_queryset",
    "get_object",
    "handle_instance_change",
    "_subscribe",
    "start_detached_task",
    "cancel_detached_tasks",
    "RETRIEVE",
    "retrieve ",
]


@pytest.mark.parametrize("name", NON_ACTIONS)
async def test_only_actions_are_callable(name):
    item = await run(lambda: Item.objects.create(name="a"))
    communicator = await connect(ItemInstanceConsumer)
    await communicator.send_json_to({"action": name, "pk": item.pk, "request_id": 1})
    assert await communicator.receive_json_from() == reply(
        name, errors=[f'Method "{name}" not allowed.'], status=405, request_id=1
    )
    await communicator.send_json_to({"action": "retrieve", "pk": item.pk, "request_id": 2})
    assert await communicator.receive_json_from() == reply(
        "retrieve", {"id": item.pk, "name": "a", "value": 0}, request_id=2
    )
    await communicator.disconnect()


async def test_group_names_from_client_input_cannot_reach_other_groups():
    item = await run(lambda: Item.objects.create(name="target"))
    instance_group = ItemInstanceConsumer.handle_instance_change.group_names_for_signal(instance=item)[0]
    room_of_target = RoomConsumer.item_rooms.group_names_for_signal(instance=item)[0]
    crafted = [
        instance_group,  # another observer's group, hashed
        instance_group.removeprefix("DCRF-"),
        f"{ItemInstanceConsumer.handle_instance_change._stable_observer_id}-handle.instance.change-model-app.item-pk-{item.pk}",
        f"{item.pk} ",
        f"0{item.pk}",
        f"*-ModelObserver-tests.support.security_consumers.item_rooms-{item.pk}",
        room_of_target,
        "x" * 5000,
        "new\nline and spaces \u00e9\u4e2d",
        [item.pk],
        {"room": item.pk},
        None,
    ]
    watcher = await connect(ItemInstanceConsumer)
    await watcher.send_json_to({"action": "subscribe_instance", "pk": item.pk, "request_id": 1})
    assert await watcher.receive_json_from() == reply("subscribe_instance", status=201, request_id=1)
    attacker = await connect(RoomConsumer)
    joined: list[str] = []
    for n, room in enumerate(crafted):
        await attacker.send_json_to({"action": "join", "room": room, "request_id": n})
        answer = await attacker.receive_json_from()
        assert answer["response_status"] == 201, answer
        joined += answer["data"]
    # Every name is a fixed-length hash, distinct per input, never another observer's group.
    assert all(re.fullmatch(r"DCRF-[0-9a-f]{64}", group) for group in joined)
    assert len(set(joined)) == len(crafted)
    assert instance_group not in joined and room_of_target not in joined

    def touch():
        item.value = 1
        item.save()

    await run(touch)
    assert await watcher.receive_json_from() == reply(
        "update", {"id": item.pk, "name": "target", "value": 1}, request_id=1
    )
    assert await attacker.receive_nothing(timeout=0.3)
    await watcher.disconnect()
    await attacker.disconnect()


async def test_subscribing_while_the_channel_layer_is_down_is_a_503_and_other_actions_answer(settings, caplog):
    """Redis unreachable (nothing listens on the port): a clear reply, no hang, the socket stays usable."""
    settings.DJANGO_CHANNELS_REST_API = {"SUBSCRIBE_TIMEOUT": 1.0}
    dead = {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [("127.0.0.1", 1)]}}
    item = await run(lambda: Item.objects.create(name="a"))
    with override_settings(CHANNEL_LAYERS={"default": dead}):
        channel_layers.backends.clear()
        try:
            communicator = WebsocketCommunicator(ItemInstanceConsumer.as_asgi(), "/ws/")
            communicator.instance = None
            connected, _ = await communicator.connect(timeout=5)
            assert connected
            await communicator.send_json_to({"action": "retrieve", "pk": item.pk, "request_id": 1})
            assert await communicator.receive_json_from(timeout=5) == reply(
                "retrieve", {"id": item.pk, "name": "a", "value": 0}, request_id=1
            )
            await communicator.send_json_to({"action": "subscribe_instance", "pk": item.pk, "request_id": 2})
            assert await communicator.receive_json_from(timeout=5) == reply(
                "subscribe_instance",
                errors=[
                    "Subscriptions are unavailable right now (the channel layer does not answer); try again later."
                ],
                status=503,
                request_id=2,
            )
            assert any(m.startswith("Channel layer failed to join group") for m in refusals(caplog))
            await communicator.send_json_to({"action": "retrieve", "pk": item.pk, "request_id": 3})
            assert (await communicator.receive_json_from(timeout=5))["response_status"] == 200
            await communicator.disconnect()
        finally:
            channel_layers.backends.clear()
