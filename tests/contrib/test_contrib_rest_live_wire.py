"""django-rest-live's wire format, as its clients parse it: 0.7 broadcasts go through the view's
renderer (a camelCase renderer camelizes them), a ``retrieve`` follows its instance when the lookup
value changes; 0.2 broadcasts are camelized and carry ``group_key_value``.  The stricter choices
stay available as consumer options."""

from __future__ import annotations

import string
from typing import Any

import pytest
from channels.db import database_sync_to_async
from djangorestframework_camel_case.render import CamelCaseJSONRenderer
from djangorestframework_camel_case.util import camelize as library_camelize
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import generics, renderers, serializers

from djangochannelsrestframework.contrib.rest_live import CREATED, DELETED, UPDATED, signals
from djangochannelsrestframework.contrib.rest_live.consumers import SubscriptionConsumer
from djangochannelsrestframework.contrib.rest_live.decorators import (
    __register_subscription,
    clear_registrations,
    registrations,
    subscribable,
)
from djangochannelsrestframework.contrib.rest_live.mixins import RealtimeMixin
from djangochannelsrestframework.contrib.rest_live.routers import RealtimeRouter
from djangochannelsrestframework.contrib.rest_live.testing import APICommunicator
from djangochannelsrestframework.contrib.rest_live.wire import camelize
from tests.support.app.models import Item

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


@database_sync_to_async
def run(func: Any) -> Any:
    return func()


def save(pk: int, **fields: Any) -> None:
    row = Item.objects.get(pk=pk)
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()


class SnakeItemSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    item_name = serializers.CharField(source="name")
    item_value = serializers.IntegerField(source="value")

    class Meta:
        model = Item
        fields = ["id", "item_name", "item_value"]


class ShoutingRenderer(renderers.JSONRenderer):
    """A JSON renderer that upper-cases every key, so its use shows in every broadcast."""

    media_type = "application/vnd.shout+json"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None) -> bytes:
        shouted = {str(key).upper(): value for key, value in data.items()}
        return super().render(shouted, accepted_media_type, renderer_context)


class CamelItems(generics.ListAPIView, RealtimeMixin):  # type: ignore[type-arg]
    queryset = Item.objects.order_by("pk")
    serializer_class = SnakeItemSerializer
    renderer_classes = [CamelCaseJSONRenderer]


class HtmlFirstItems(CamelItems):
    """The browsable API comes first, as in DRF's default settings reversed."""

    renderer_classes = [renderers.BrowsableAPIRenderer, CamelCaseJSONRenderer]


class ShoutedItems(CamelItems):
    renderer_classes = [ShoutingRenderer]


class NegotiatedItems(CamelItems):
    renderer_classes = [CamelCaseJSONRenderer, ShoutingRenderer]


class ItemsByName(generics.RetrieveAPIView, RealtimeMixin):  # type: ignore[type-arg]
    queryset = Item.objects.all()
    serializer_class = SnakeItemSerializer
    renderer_classes = [CamelCaseJSONRenderer]
    lookup_field = "name"


def consumer_for(view: type[Any], **options: Any) -> type[SubscriptionConsumer]:
    router = RealtimeRouter()
    router.register(view)
    consumer = router.as_consumer()
    return type("OptionsConsumer", (consumer,), options) if options else consumer


async def connect(consumer: Any, headers: list[tuple[bytes, bytes]] | None = None) -> APICommunicator:
    communicator = APICommunicator(consumer.as_asgi(), "/ws/subscribe/", headers)
    assert await communicator.connect() == (True, None)
    return communicator


async def subscribe(communicator: APICommunicator, **fields: Any) -> None:
    await communicator.send_json_to({"type": "subscribe", "id": 1, "model": "app.Item", "action": "list", **fields})
    assert await communicator.receive_nothing(timeout=0.05)


def broadcast(action: str, instance: Any) -> dict[str, Any]:
    return {"type": "broadcast", "id": 1, "model": "app.Item", "action": action, "instance": instance}


# -- 0.7: the view's renderer ------------------------------------------------------------------------


@pytest.mark.parametrize("view", [CamelItems, HtmlFirstItems])
async def test_broadcasts_are_rendered_by_the_views_json_renderer(view: type[Any]):
    communicator = await connect(consumer_for(view))
    await subscribe(communicator)
    row = await run(lambda: Item.objects.create(name="apple", value=1))
    expected = broadcast(CREATED, {"id": row.pk, "itemName": "apple", "itemValue": 1})
    assert await communicator.receive_json_from() == expected
    await run(lambda: save(row.pk, value=2))
    expected = broadcast(UPDATED, {"id": row.pk, "itemName": "apple", "itemValue": 2})
    assert await communicator.receive_json_from() == expected
    await communicator.disconnect()


async def test_the_deleted_payload_goes_through_the_renderer_too():
    communicator = await connect(consumer_for(ShoutedItems))
    row = await run(lambda: Item.objects.create(name="apple", value=1))
    await subscribe(communicator)
    await run(lambda: Item.objects.get(pk=row.pk).delete())
    assert await communicator.receive_json_from() == broadcast(DELETED, {"PK": row.pk, "ID": row.pk})
    await communicator.disconnect()


async def test_each_subscriber_gets_the_renderer_its_handshake_negotiates():
    consumer = consumer_for(NegotiatedItems)
    plain = await connect(consumer)
    shouted = await connect(consumer, [(b"accept", b"application/vnd.shout+json")])
    for communicator in (plain, shouted):
        await subscribe(communicator)
    row = await run(lambda: Item.objects.create(name="apple", value=1))
    expected = broadcast(CREATED, {"id": row.pk, "itemName": "apple", "itemValue": 1})
    assert await plain.receive_json_from() == expected
    expected = broadcast(CREATED, {"ID": row.pk, "ITEM_NAME": "apple", "ITEM_VALUE": 1})
    assert await shouted.receive_json_from() == expected
    for communicator in (plain, shouted):
        await communicator.disconnect()


async def test_use_view_renderer_false_sends_the_serializers_field_names():
    communicator = await connect(consumer_for(CamelItems, use_view_renderer=False))
    await subscribe(communicator)
    row = await run(lambda: Item.objects.create(name="apple", value=1))
    expected = broadcast(CREATED, {"id": row.pk, "item_name": "apple", "item_value": 1})
    assert await communicator.receive_json_from() == expected
    await communicator.disconnect()


# -- 0.7: a retrieve by a lookup field ---------------------------------------------------------------


async def test_a_retrieve_follows_its_instance_when_the_lookup_value_changes():
    row, _ = await run(lambda: [Item.objects.create(name=n, value=1) for n in ("apple", "pear")])
    communicator = await connect(consumer_for(ItemsByName))
    await subscribe(communicator, action="retrieve", lookup_by="apple")
    await run(lambda: save(row.pk, name="plum"))
    expected = broadcast(UPDATED, {"id": row.pk, "itemName": "plum", "itemValue": 1})
    assert await communicator.receive_json_from() == expected
    await run(lambda: Item.objects.create(name="apple", value=5))  # another row takes the old value
    assert await communicator.receive_nothing(timeout=0.1)
    await run(lambda: Item.objects.get(pk=row.pk).delete())
    assert await communicator.receive_json_from() == broadcast(DELETED, {"name": "plum", "id": row.pk})
    await communicator.disconnect()


async def test_retrieve_by_lookup_value_watches_the_value_instead():
    row = await run(lambda: Item.objects.create(name="apple", value=1))
    communicator = await connect(consumer_for(ItemsByName, retrieve_by_lookup_value=True))
    await subscribe(communicator, action="retrieve", lookup_by="apple")
    await run(lambda: save(row.pk, name="plum"))
    assert await communicator.receive_json_from() == broadcast(DELETED, {"name": "apple", "id": row.pk})
    other = await run(lambda: Item.objects.create(name="apple", value=5))
    expected = broadcast(CREATED, {"id": other.pk, "itemName": "apple", "itemValue": 5})
    assert await communicator.receive_json_from() == expected
    await communicator.disconnect()


# -- 0.2: camelized instances and group_key_value ----------------------------------------------------


@pytest.fixture
def no_registrations() -> Any:
    clear_registrations()
    yield
    clear_registrations()


async def legacy_subscribe(communicator: APICommunicator, prop: str, value: Any) -> None:
    await communicator.send_json_to({"model": "app.Item", "property": prop, "value": value})
    assert await communicator.receive_nothing(timeout=0.05)


def legacy(action: str, instance: Any, group_key_value: Any) -> dict[str, Any]:
    return {"model": "app.Item", "instance": instance, "action": action, "group_key_value": group_key_value}


@pytest.mark.usefixtures("no_registrations")
async def test_legacy_broadcasts_are_camelized_and_name_their_group_key_value():
    subscribable("value")(SnakeItemSerializer)
    communicator = await connect(SubscriptionConsumer)
    await legacy_subscribe(communicator, "value", "7")  # a string for an integer field
    row = await run(lambda: Item.objects.create(name="apple", value=7))
    expected = legacy(CREATED, {"id": row.pk, "itemName": "apple", "itemValue": 7}, 7)
    assert await communicator.receive_json_from() == expected
    await run(lambda: save(row.pk, name="pear"))
    expected = legacy(UPDATED, {"id": row.pk, "itemName": "pear", "itemValue": 7}, 7)
    assert await communicator.receive_json_from() == expected
    await run(lambda: save(row.pk, value=8))  # leaves the group: the row as the subscriber last got it
    expected = legacy(DELETED, {"id": row.pk, "itemName": "pear", "itemValue": 7}, 7)
    assert await communicator.receive_json_from() == expected
    await communicator.disconnect()


@pytest.mark.usefixtures("no_registrations")
async def test_a_deleted_row_the_subscriber_had_from_the_start_is_sent_whole():
    subscribable("value")(SnakeItemSerializer)
    row, other = await run(lambda: [Item.objects.create(name=n, value=7) for n in ("apple", "pear")])
    communicator = await connect(SubscriptionConsumer)
    await legacy_subscribe(communicator, "value", 7)
    await run(lambda: Item.objects.filter(pk__in=[row.pk, other.pk]).delete())
    frames = [await communicator.receive_json_from() for _ in range(2)]
    assert sorted(frames, key=lambda frame: frame["instance"]["id"]) == [
        legacy(DELETED, {"id": row.pk, "itemName": "apple", "itemValue": 7}, 7),
        legacy(DELETED, {"id": other.pk, "itemName": "pear", "itemValue": 7}, 7),
    ]
    await communicator.disconnect()


@pytest.mark.usefixtures("no_registrations")
async def test_legacy_deleted_instances_false_sends_only_the_primary_key():
    subscribable("value")(SnakeItemSerializer)
    row = await run(lambda: Item.objects.create(name="apple", value=7))
    consumer = type("KeyOnlyConsumer", (SubscriptionConsumer,), {"legacy_deleted_instances": False})
    communicator = await connect(consumer)
    await legacy_subscribe(communicator, "value", 7)
    await run(lambda: Item.objects.get(pk=row.pk).delete())
    assert await communicator.receive_json_from() == legacy(DELETED, {"pk": row.pk, "id": row.pk}, 7)
    await communicator.disconnect()


@pytest.mark.usefixtures("no_registrations")
async def test_the_group_key_value_of_a_subscription_by_pk():
    subscribable()(SnakeItemSerializer)
    row = await run(lambda: Item.objects.create(name="apple", value=1))
    communicator = await connect(SubscriptionConsumer)
    await legacy_subscribe(communicator, "pk", row.pk)
    await run(lambda: save(row.pk, value=2))
    expected = legacy(UPDATED, {"id": row.pk, "itemName": "apple", "itemValue": 2}, row.pk)
    assert await communicator.receive_json_from() == expected
    await communicator.disconnect()


@pytest.mark.usefixtures("no_registrations")
async def test_camelize_legacy_instances_false_sends_the_serializers_field_names():
    subscribable("value")(SnakeItemSerializer)
    consumer = type("SnakeConsumer", (SubscriptionConsumer,), {"camelize_legacy_instances": False})
    communicator = await connect(consumer)
    await legacy_subscribe(communicator, "value", 7)
    row = await run(lambda: Item.objects.create(name="apple", value=7))
    expected = legacy(CREATED, {"id": row.pk, "item_name": "apple", "item_value": 7}, 7)
    assert await communicator.receive_json_from() == expected
    await communicator.disconnect()


@pytest.mark.usefixtures("no_registrations")
def test_register_subscription_replaces_what_subscribable_stacks():
    class Other(serializers.ModelSerializer):  # type: ignore[type-arg]
        class Meta:
            model = Item
            fields = ["id"]

    subscribable("value")(SnakeItemSerializer)
    subscribable("value")(Other)
    assert [entry.serializer_class for entry in registrations("app.Item", "value")] == [SnakeItemSerializer, Other]

    def refuse(user: Any, instance: Any) -> bool:
        return False

    __register_subscription(Other, "value", refuse)
    assert [tuple(entry) for entry in registrations("app.Item", "value")] == [(Other, refuse)]


def test_the_signals_module_names_the_actions():
    assert (signals.CREATED, signals.UPDATED, signals.DELETED) == ("CREATED", "UPDATED", "DELETED")


KEYS = st.text(alphabet=string.ascii_letters + string.digits + "_-", max_size=12)
VALUES = st.recursive(
    st.none() | st.integers() | KEYS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)


@given(VALUES)
def test_camelize_agrees_with_djangorestframework_camel_case(data: Any):
    assert camelize(data) == library_camelize(data)
