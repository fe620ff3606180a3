"""Observer API details: handler keyword arguments, subscription forms, metaclass binding, sending rules."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.dispatch import Signal

from djangochannelsrestframework import permissions
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.observer import ModelObserver, Observer, model_observer, observer
from djangochannelsrestframework.observer.base_observer import clean_group_name
from djangochannelsrestframework.observer.generics import (
    ObserverAPIConsumerMetaclass,
    ObserverModelInstanceMixin,
    _GenericModelObserver,
)
from tests.support.app.models import Item
from tests.support.observer_consumers import ItemInstanceConsumer, ItemSerializer

pytestmark = pytest.mark.django_db(transaction=True)

ping = Signal()
calls: list = []


class RecordingConsumer(AsyncAPIConsumer):
    permission_classes = (permissions.AllowAny,)

    @model_observer(Item)
    async def item_change(self, message, **kwargs):
        calls.append((dict(message), kwargs))

    @observer(ping)
    async def pinged(self, message, **kwargs):
        calls.append((dict(message), kwargs))

    @pinged.groups_for_signal
    def pinged(self, room=None, **kwargs):
        calls.append(("signal hook", room, sorted(kwargs)))
        yield f"room-{room}"

    @pinged.groups_for_consumer
    def pinged(self, room, consumer=None, **kwargs):
        calls.append(("consumer hook", room, consumer is not None))
        yield f"room-{room}"

    @pinged.serializer
    def pinged(self, signal, sender, **kwargs):
        return {"sender": sender, "room": kwargs["room"]}


async def connect(consumer):
    communicator = WebsocketCommunicator(consumer, "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@pytest.fixture(autouse=True)
def clear_calls():
    calls.clear()


async def test_model_handler_receives_the_documented_keyword_arguments():
    consumer = RecordingConsumer()
    communicator = await connect(consumer)
    groups = await consumer.item_change.subscribe(request_id=5)
    item = await database_sync_to_async(Item.objects.create)(name="a")
    await communicator.receive_nothing()
    assert calls == [
        (
            {"pk": item.pk},
            {
                "observer": RecordingConsumer.item_change,
                "message_type": "item.change",
                "subscribing_request_ids": [5],
                "group": groups[0],
                "action": "create",
            },
        )
    ]
    await communicator.disconnect()


async def test_signal_observer_positional_subscribe_and_hook_arguments():
    consumer = RecordingConsumer()
    communicator = await connect(consumer)
    groups = await consumer.pinged.subscribe("lobby")
    assert groups == [clean_group_name(f"{RecordingConsumer.pinged._stable_observer_id}-room-lobby")]
    await database_sync_to_async(ping.send)(sender="tests", room="lobby", extra=1)
    await communicator.receive_nothing()
    assert calls[0] == ("consumer hook", "lobby", True)
    assert calls[1] == ("signal hook", "lobby", ["extra", "message", "sender"])
    assert calls[2] == (
        {"sender": "tests", "room": "lobby"},
        {
            "observer": RecordingConsumer.pinged,
            "message_type": "pinged",
            "subscribing_request_ids": [],
            "group": groups[0],
        },
    )
    await communicator.disconnect()


async def test_class_level_subscribe_takes_the_consumer_positionally():
    consumer = RecordingConsumer()
    communicator = await connect(consumer)
    groups = await RecordingConsumer.item_change.subscribe(consumer, request_id=1)
    assert consumer.groups == set(groups)
    await RecordingConsumer.item_change.unsubscribe(consumer, request_id=1)
    assert consumer.groups == set()
    await communicator.disconnect()


async def test_signal_without_serializer_sends_an_empty_body():
    assert Observer(lambda self, message, **kw: None, signal=None).serialize(ping, sender=None) == {
        "type": "<lambda>",
        "body": {},
    }


async def test_save_on_an_event_loop_thread_is_sent_without_blocking(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    consumer = RecordingConsumer()
    communicator = await connect(consumer)
    await consumer.item_change.subscribe()
    item = Item.objects.create(name="on the loop")  # sync ORM call on the loop thread
    await communicator.receive_nothing()
    assert calls[0][0] == {"pk": item.pk}
    await communicator.disconnect()


def test_observer_metaclass_binds_generic_observers_to_the_queryset_model():
    class MetaConsumer(GenericAsyncAPIConsumer, metaclass=ObserverAPIConsumerMetaclass):
        queryset = Item.objects.all()
        serializer_class = ItemSerializer

        @_GenericModelObserver
        async def changes(self, message, **kwargs):
            pass

    bound = MetaConsumer.__dict__["changes"]
    assert isinstance(bound, ModelObserver) and bound.model_cls is Item
    assert bound._stable_observer_id == (f"{__name__}.MetaConsumer.changes-ModelObserver-{__name__}.changes")


def test_instance_mixin_binds_one_observer_per_consumer_class():
    class OtherItems(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
        queryset = Item.objects.all()
        serializer_class = ItemSerializer

    ours = OtherItems.handle_instance_change
    theirs = ItemInstanceConsumer.handle_instance_change
    assert ours is not theirs
    assert ours.group_names_for_signal(instance=Item(pk=1)) != theirs.group_names_for_signal(instance=Item(pk=1))


def test_instance_groups_are_per_object():
    observer = ItemInstanceConsumer.handle_instance_change
    stable = "tests.support.observer_consumers.ItemInstanceConsumer.handle_instance_change-ModelObserver-"
    stable += "djangochannelsrestframework.observer.generics.handle_instance_change"
    assert observer.group_names_for_signal(instance=Item(pk=3)) == [
        clean_group_name(f"{stable}-handle.instance.change-model-app.item-pk-3")
    ]
