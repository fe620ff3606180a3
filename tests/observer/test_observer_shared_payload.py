"""Observer costs: instance data read and serialized once per event for many sockets (unless it can
depend on the subscriber), and saves that pay nothing for groups nobody listens to."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from djangochannelsrestframework import permissions
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.observer import ObserverModelInstanceMixin, model_observer
from djangochannelsrestframework.observer.sharing import shares_instance_data as _shares_instance_data
from tests.support.app.models import Item
from tests.support.envelope import connect, reply

pytestmark = pytest.mark.django_db(transaction=True)

SERIALIZED: list[int] = []


class CountingItemSerializer(serializers.ModelSerializer):
    """Records every object it serializes."""

    class Meta:
        model = Item
        fields = ["id", "name", "value"]

    def to_representation(self, instance: Any) -> Any:
        SERIALIZED.append(instance.pk)
        return super().to_representation(instance)


class SharedItemConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.all()
    serializer_class = CountingItemSerializer
    permission_classes = (permissions.AllowAny,)


class ViewerItemSerializer(CountingItemSerializer):
    """Output depends on who receives it: it reads the serializer context."""

    viewer = serializers.SerializerMethodField()

    class Meta(CountingItemSerializer.Meta):
        fields = ["id", "name", "value", "viewer"]

    def get_viewer(self, instance: Any) -> Any:
        return self.context["scope"].get("viewer")


class ViewerItemConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.all()
    serializer_class = ViewerItemSerializer
    permission_classes = (permissions.AllowAny,)


class OwnItemsConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    """Visibility per subscriber: only items whose name is the scope's ``viewer``."""

    serializer_class = CountingItemSerializer
    permission_classes = (permissions.AllowAny,)

    def get_queryset(self, **kwargs: Any) -> Any:
        return Item.objects.filter(name__startswith=self.scope.get("viewer", ""))


async def subscribe(communicator, pk, request_id):
    await communicator.send_json_to({"action": "subscribe_instance", "pk": pk, "request_id": request_id})
    assert (await communicator.receive_json_from())["response_status"] == 201


@database_sync_to_async
def run(func):
    return func()


def rename(pk: int, name: str) -> None:
    item = Item.objects.get(pk=pk)
    item.name = name
    item.save()


async def test_many_sockets_get_one_serialization_per_event_and_exact_messages():
    item = await run(lambda: Item.objects.create(name="a"))
    sockets = [await connect(SharedItemConsumer) for _ in range(5)]
    for number, communicator in enumerate(sockets):
        await subscribe(communicator, item.pk, request_id=number)
        # A second request id on the same socket gets its own copy of the event.
        await subscribe(communicator, item.pk, request_id=f"again-{number}")
    SERIALIZED.clear()
    await run(lambda: rename(item.pk, "b"))
    for number, communicator in enumerate(sockets):
        received = [await communicator.receive_json_from() for _ in range(2)]
        assert sorted(received, key=lambda message: str(message["request_id"])) == [
            reply("update", {"id": item.pk, "name": "b", "value": 0}, request_id=number),
            reply("update", {"id": item.pk, "name": "b", "value": 0}, request_id=f"again-{number}"),
        ]
    assert SERIALIZED == [item.pk]
    for communicator in sockets:
        await communicator.disconnect()


async def test_a_serializer_reading_its_context_serializes_per_socket():
    item = await run(lambda: Item.objects.create(name="a"))
    ann = await connect(ViewerItemConsumer, viewer="ann")
    bob = await connect(ViewerItemConsumer, viewer="bob")
    await subscribe(ann, item.pk, 1)
    await subscribe(bob, item.pk, 2)
    SERIALIZED.clear()
    await run(lambda: rename(item.pk, "b"))
    assert await ann.receive_json_from() == reply(
        "update", {"id": item.pk, "name": "b", "value": 0, "viewer": "ann"}, request_id=1
    )
    assert await bob.receive_json_from() == reply(
        "update", {"id": item.pk, "name": "b", "value": 0, "viewer": "bob"}, request_id=2
    )
    assert len(SERIALIZED) == 2
    await ann.disconnect()
    await bob.disconnect()


async def test_per_subscriber_querysets_keep_per_subscriber_visibility():
    item = await run(lambda: Item.objects.create(name="ann-1"))
    ann = await connect(OwnItemsConsumer, viewer="ann")
    everyone = await connect(OwnItemsConsumer, viewer="")
    await subscribe(ann, item.pk, 1)
    await subscribe(everyone, item.pk, 2)
    await run(lambda: rename(item.pk, "bob-1"))  # leaves ann's queryset: ann gets nothing (no 404 frame)
    assert await everyone.receive_json_from() == reply(
        "update", {"id": item.pk, "name": "bob-1", "value": 0}, request_id=2
    )
    assert await ann.receive_nothing()
    await ann.disconnect()
    await everyone.disconnect()


def test_which_classes_share_instance_data():
    assert _shares_instance_data(SharedItemConsumer(scope={}))
    assert _shares_instance_data(ViewerItemConsumer(scope={}))  # decided per event by the context
    assert not _shares_instance_data(OwnItemsConsumer(scope={}))

    class ChecksObjects(permissions.BasePermission):
        def has_object_permission(self, scope, consumer, action, obj, **kwargs) -> bool:
            return True

    class ObjectChecked(SharedItemConsumer):
        permission_classes = (ChecksObjects,)

    assert not _shares_instance_data(ObjectChecked(scope={}))


class EncodingConsumer(SharedItemConsumer):
    """Replies through its own encoder: the shared frame text must not bypass it."""

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return json.dumps({"wrapped": content})


async def test_custom_encoders_still_encode_shared_payloads():
    item = await run(lambda: Item.objects.create(name="a"))
    communicator = await connect(EncodingConsumer)
    await subscribe_wrapped(communicator, item.pk)
    await run(lambda: rename(item.pk, "b"))
    message = await communicator.receive_json_from()
    assert message == {"wrapped": reply("update", {"id": item.pk, "name": "b", "value": 0}, request_id=3)}
    await communicator.disconnect()


async def subscribe_wrapped(communicator, pk):
    await communicator.send_json_to({"action": "subscribe_instance", "pk": pk, "request_id": 3})
    assert (await communicator.receive_json_from())["wrapped"]["response_status"] == 201


# -- saves -----------------------------------------------------------------------------------------


class ListenedItemConsumer(AsyncAPIConsumer):
    @model_observer(Item)
    async def item_seen(self, message: Any, **kwargs: Any) -> None:
        await self.send_json(message)

    @item_seen.serializer
    def item_seen(self, instance: Item, action: Any, **kwargs: Any) -> Any:
        SERIALIZED.append(instance.pk)
        return {"name": instance.name}

    @action()
    async def watch(self, **kwargs: Any) -> tuple[None, int]:
        await self.item_seen.subscribe()
        return None, 201


def test_instance_subscription_groups_need_no_read_back_before_a_save():
    # SharedItemConsumer's observer names groups from the pk only: a save issues just its UPDATE.
    item = Item.objects.create(name="a")
    item.name = "b"
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        item.save()
    statements = [query["sql"].split()[0] for query in queries.captured_queries]
    assert statements.count("SELECT") == 0, queries.captured_queries


def test_nobody_listening_in_process_means_no_serialization():
    SERIALIZED.clear()
    item = Item.objects.create(name="a")
    item.name = "b"
    item.save()
    with transaction.atomic():
        item.delete()
    assert SERIALIZED == []


async def test_a_listener_gets_the_serialized_change():
    communicator = await connect(ListenedItemConsumer)
    await communicator.send_json_to({"action": "watch", "request_id": 1})
    assert (await communicator.receive_json_from())["response_status"] == 201
    SERIALIZED.clear()
    item = await run(lambda: Item.objects.create(name="seen"))
    assert await communicator.receive_json_from() == {"name": "seen"}
    assert SERIALIZED == [item.pk]
    await communicator.disconnect()
