"""The documentation's observer examples (tests/support/observer_consumers.py) work as written."""

from __future__ import annotations

import logging

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import override_settings

from djangochannelsrestframework.observer.base_observer import send_to_groups
from tests.support.app.models import Comment, Item
from tests.support.envelope import connect
from tests.support.observer_consumers import AllCommentsConsumer, ChatConsumer, ItemActivityConsumer, MyCommentsConsumer

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def run(func):
    return func()


@pytest.fixture
async def users():
    return await run(lambda: (User.objects.create(username="one"), User.objects.create(username="two")))


async def test_model_observer_example_sends_every_comment(users):
    user_1, user_2 = users
    communicator = await connect(AllCommentsConsumer)
    await communicator.send_json_to({"action": "subscribe_to_comment_activity", "request_id": 1})
    assert await communicator.receive_nothing()  # the example's action sends no reply
    first = await run(lambda: Comment.objects.create(text="user 1 creates a new comment", user=user_1))
    assert await communicator.receive_json_from() == {
        "id": first.pk,
        "text": "user 1 creates a new comment",
        "user": user_1.pk,
    }
    second = await run(lambda: Comment.objects.create(text="user 2 creates a second comment", user=user_2))
    assert await communicator.receive_json_from() == {
        "id": second.pk,
        "text": "user 2 creates a second comment",
        "user": user_2.pk,
    }
    await communicator.disconnect()


async def test_filtered_model_observer_example_sends_only_the_users_comments(users):
    user_1, user_2 = users
    first_socket = await connect(MyCommentsConsumer, user=user_1)
    second_socket = await connect(MyCommentsConsumer, user=user_2)
    for communicator in (first_socket, second_socket):
        await communicator.send_json_to({"action": "subscribe_to_comment_activity", "request_id": 1})
        assert await communicator.receive_nothing()
    comment = await run(lambda: Comment.objects.create(text="user 1 creates a new comment", user=user_1))
    assert await first_socket.receive_json_from() == {
        "id": comment.pk,
        "text": "user 1 creates a new comment",
        "user": user_1.pk,
    }
    assert await second_socket.receive_nothing()
    await first_socket.disconnect()
    await second_socket.disconnect()


async def test_signal_observer_example(users):
    user_1, _ = users
    watcher = await connect(ChatConsumer, user=user_1)
    other_chat = await connect(ChatConsumer, user=user_1)
    await watcher.send_json_to({"action": "subscribe_joined", "chat_id": 5})
    await other_chat.send_json_to({"action": "subscribe_joined", "chat_id": 6})
    assert await watcher.receive_nothing()
    await watcher.send_json_to({"action": "join_chat", "chat_id": 5, "instance": 5, "request_id": 3})
    received = [await watcher.receive_json_from(), await watcher.receive_json_from()]
    assert {"errors": [], "data": {}, "action": "join_chat", "response_status": 204, "request_id": 3} in received
    assert {
        "errors": [],
        "data": {"id": user_1.pk, "username": "one", "email": ""},
        "action": "joined_chat",
        "response_status": 200,
        "request_id": None,
    } in received
    assert await other_chat.receive_nothing()
    await watcher.disconnect()
    await other_chat.disconnect()


async def test_signal_observer_unsubscribe_with_positional_argument(users):
    user_1, _ = users
    watcher = await connect(ChatConsumer, user=user_1)
    await watcher.send_json_to({"action": "subscribe_joined", "chat_id": 5})
    await watcher.send_json_to({"action": "unsubscribe_joined", "chat_id": 5})
    assert await watcher.receive_nothing()
    await watcher.send_json_to({"action": "join_chat", "chat_id": 5, "instance": 5})
    assert (await watcher.receive_json_from())["action"] == "join_chat"
    assert await watcher.receive_nothing()
    await watcher.disconnect()


def test_signal_serializer_hook_receives_sender_once():
    seen = {}

    from tests.support.observer_consumers import joined_chat_signal

    observer = ChatConsumer.joined_chat_handler
    hook = observer._serializer

    def spy(self, sender, data, **kwargs):
        seen.update(sender=sender, signal=kwargs["signal"])
        return data

    observer._serializer = spy
    try:
        message = observer.serialize(joined_chat_signal, sender="join_chat", data={"x": 1})
    finally:
        observer._serializer = hook
    assert message == {"type": "joined.chat.handler", "body": {"x": 1}}
    assert seen == {"sender": "join_chat", "signal": joined_chat_signal}


def test_groups_for_consumer_hook_receives_the_consumer():
    consumer = MyCommentsConsumer()
    consumer.scope = {"user": User(pk=7)}
    groups = MyCommentsConsumer.comment_activity.group_names_for_consumer(consumer)
    assert groups == MyCommentsConsumer.comment_activity.group_names_for_signal(instance=Comment(user_id=7))


@override_settings(CHANNEL_LAYERS={})
def test_save_without_a_channel_layer_logs_instead_of_failing(caplog):
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    with caplog.at_level(logging.WARNING, logger="djangochannelsrestframework.observer"):
        Item.objects.create(name="a")
    channel_layers.backends.clear()
    assert Item.objects.count() == 1
    assert "No channel layer is configured; 1 observer message(s) dropped" in caplog.messages


async def test_sending_on_an_event_loop_thread_does_not_block():
    communicator = await connect(ItemActivityConsumer)
    await communicator.send_json_to({"action": "subscribe", "request_id": 1})
    await communicator.receive_json_from()
    group = ItemActivityConsumer.item_activity.group_names_for_signal(instance=Item(pk=1))[0]
    message = {"type": "item.activity", "body": {"id": 1}, "action": "update", "group": group}
    send_to_groups([message])  # on the loop thread: scheduled, never awaited here
    assert await communicator.receive_json_from() == {
        "errors": [],
        "data": {"id": 1},
        "action": "update",
        "response_status": 200,
        "request_id": 1,
    }
    await communicator.disconnect()
