"""The CRUD mixins on a GenericAsyncAPIConsumer: replies, bad arguments, hooks, context and lookups."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured

from djangochannelsrestframework.consumers import GenericAsyncAPIConsumer as GenericFromConsumers
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import ListModelMixin
from tests.support.app.models import Item
from tests.support.envelope import reply
from tests.support.generic_consumers import (
    ContextItemConsumer,
    HookedItemConsumer,
    ItemConsumer,
    ItemSerializer,
    NamedItemConsumer,
    OwnValueItemConsumer,
    SlugKwargItemConsumer,
    StrictItemConsumer,
    ask,
    open_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)

REQUIRED = ["This argument is required."]
UNEXPECTED = ["Unexpected argument."]
NOT_AN_OBJECT = ["Expected an object."]


@pytest.fixture
def items() -> list[Item]:
    return [Item.objects.create(name=name, value=value) for name, value in [("ant", 1), ("bee", 2), ("cat", 3)]]


def item_data(item: Item) -> dict[str, Any]:
    return {"id": item.pk, "name": item.name, "value": item.value}


async def test_generic_consumer_is_importable_from_consumers() -> None:
    assert GenericFromConsumers is GenericAsyncAPIConsumer


# -- the six actions -----------------------------------------------------------------------------


async def test_list_replies_every_object(items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": "list", "request_id": 1}) == reply(
            "list", [item_data(item) for item in items], request_id=1
        )


async def test_retrieve_replies_the_object(items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": "retrieve", "pk": items[1].pk, "request_id": "r"}) == reply(
            "retrieve", {"id": items[1].pk, "name": "bee", "value": 2}, request_id="r"
        )


async def test_create_replies_201_with_the_new_object() -> None:
    async with open_socket(ItemConsumer) as ws:
        response = await ask(ws, {"action": "create", "data": {"name": "dog", "value": 4}, "request_id": 2})
    item = await Item.objects.aget(name="dog")
    assert response == reply("create", {"id": item.pk, "name": "dog", "value": 4}, status=201, request_id=2)


async def test_create_with_invalid_data_replies_400_with_the_field_errors() -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": "create", "data": {"value": "many"}}) == reply(
            "create",
            status=400,
            errors=[{"name": ["This field is required."], "value": ["A valid integer is required."]}],
        )
    assert await Item.objects.acount() == 0


async def test_update_replaces_the_fields(items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        response = await ask(ws, {"action": "update", "pk": items[0].pk, "data": {"name": "ape", "value": 9}})
    assert response == reply("update", {"id": items[0].pk, "name": "ape", "value": 9})
    assert await Item.objects.filter(name="ape", value=9).aexists()


async def test_update_without_a_required_field_replies_400(items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": "update", "pk": items[0].pk, "data": {"value": 9}}) == reply(
            "update", status=400, errors=[{"name": ["This field is required."]}]
        )


async def test_patch_changes_only_the_fields_sent(items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": "patch", "pk": items[0].pk, "data": {"value": 7}}) == reply(
            "patch", {"id": items[0].pk, "name": "ant", "value": 7}
        )


async def test_delete_replies_204_and_removes_the_object(items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": "delete", "pk": items[0].pk, "request_id": 3}) == reply(
            "delete", None, status=204, request_id=3
        )
    assert not await Item.objects.filter(pk=items[0].pk).aexists()


@pytest.mark.parametrize("action", ["retrieve", "delete"])
async def test_unknown_pk_replies_404(action: str) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": action, "pk": 999}) == reply(action, status=404, errors=["Not found"])


@pytest.mark.parametrize("action", ["update", "patch"])
async def test_saving_an_unknown_pk_replies_404(action: str) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": action, "pk": 999, "data": {"name": "x"}}) == reply(
            action, status=404, errors=["Not found"]
        )


# -- bad arguments: a 4xx reply, and the socket keeps working ------------------------------------


async def assert_still_answers(ws: Any, item: Item) -> None:
    assert await ask(ws, {"action": "retrieve", "pk": item.pk}) == reply("retrieve", item_data(item))


@pytest.mark.parametrize("action", ["retrieve", "delete"])
async def test_missing_pk_replies_400_naming_it(action: str, items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": action}) == reply(action, status=400, errors=[{"pk": REQUIRED}])
        await assert_still_answers(ws, items[0])


@pytest.mark.parametrize("action", ["update", "patch"])
async def test_saving_without_pk_replies_400_naming_it(action: str, items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": action, "data": {"name": "x"}}) == reply(
            action, status=400, errors=[{"pk": REQUIRED}]
        )
        await assert_still_answers(ws, items[0])


NOT_AN_INTEGER = ["A valid integer is required."]


@pytest.mark.parametrize("pk", ["abc", {}, [], True, False, 1.5])
@pytest.mark.parametrize("action", ["retrieve", "delete"])
async def test_pk_of_the_wrong_type_replies_400_naming_it(action: str, pk: Any, items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": action, "pk": pk}) == reply(action, status=400, errors=[{"pk": NOT_AN_INTEGER}])
        await assert_still_answers(ws, items[0])


@pytest.mark.parametrize("action", ["retrieve", "delete"])
async def test_null_pk_replies_400_naming_it(action: str, items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": action, "pk": None}) == reply(
            action, status=400, errors=[{"pk": ["This field may not be null."]}]
        )


@pytest.mark.parametrize("pk", ["abc", {}, [], True, 1.5])
@pytest.mark.parametrize("action", ["update", "patch"])
async def test_saving_with_a_pk_of_the_wrong_type_replies_400(action: str, pk: Any, items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": action, "pk": pk, "data": {"name": "x"}}) == reply(
            action, status=400, errors=[{"pk": NOT_AN_INTEGER}]
        )
        await assert_still_answers(ws, items[0])


@pytest.mark.parametrize("spell", [str, float, lambda pk: f"{pk}.0"])
async def test_integer_pk_written_as_a_string_or_whole_float_finds_the_row(spell: Any, items: list[Item]) -> None:
    # DRF's IntegerField rules, as for a pk in a URL: "7", "7.0" and 7.0 are 7.
    value = spell(items[0].pk)
    async with open_socket(ItemConsumer) as ws:
        response = await ask(ws, {"action": "retrieve", "pk": value})
        assert response["response_status"] == 200
        assert response["data"]["id"] == items[0].pk


@pytest.mark.parametrize("action", ["create", "update", "patch"])
async def test_missing_data_replies_400_naming_it(action: str, items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": action, "pk": items[0].pk}) == reply(
            action, status=400, errors=[{"data": REQUIRED}]
        )
        await assert_still_answers(ws, items[0])


@pytest.mark.parametrize("data", ["text", [1, 2], 5, None, True])
@pytest.mark.parametrize("action", ["create", "update", "patch"])
async def test_data_that_is_not_an_object_replies_400(action: str, data: Any, items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": action, "pk": items[0].pk, "data": data}) == reply(
            action, status=400, errors=[{"data": NOT_AN_OBJECT}]
        )
        await assert_still_answers(ws, items[0])
    assert await Item.objects.acount() == 3


async def test_unexpected_keys_are_refused_by_an_action_without_kwargs(items: list[Item]) -> None:
    async with open_socket(StrictItemConsumer) as ws:
        assert await ask(ws, {"action": "rename", "pk": items[0].pk, "name": "x", "colour": "red"}) == reply(
            "rename", status=400, errors=[{"colour": UNEXPECTED}]
        )
        assert await ask(ws, {"action": "rename", "pk": items[0].pk}) == reply(
            "rename", status=400, errors=[{"name": REQUIRED}]
        )
        assert await ask(ws, {"action": "rename", "pk": items[0].pk, "name": "ape"}) == reply(
            "rename", {"id": items[0].pk, "name": "ape", "value": 1}
        )


async def test_unknown_action_replies_405(items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        assert await ask(ws, {"action": "destroy", "pk": items[0].pk}) == reply(
            "destroy", status=405, errors=['Method "destroy" not allowed.']
        )
        await assert_still_answers(ws, items[0])


# -- perform_* hooks -----------------------------------------------------------------------------


async def test_perform_create_receives_the_message_keys() -> None:
    consumer = HookedItemConsumer()
    async with open_socket(consumer) as ws:
        response = await ask(ws, {"action": "create", "data": {"name": "dog"}, "request_id": 5, "note": "hi"})
    item = await Item.objects.aget(name="dog")
    assert response == reply("create", {"id": item.pk, "name": "dog", "value": 100}, status=201, request_id=5)
    assert consumer.calls == [("create", {"note": "hi", "action": "create", "request_id": 5})]


async def test_perform_update_receives_the_message_keys(items: list[Item]) -> None:
    consumer = HookedItemConsumer()
    async with open_socket(consumer) as ws:
        await ask(ws, {"action": "update", "pk": items[0].pk, "data": {"name": "ape"}, "request_id": 6})
    assert consumer.calls == [("update", {"pk": items[0].pk, "action": "update", "request_id": 6})]


async def test_perform_patch_receives_the_message_keys(items: list[Item]) -> None:
    consumer = HookedItemConsumer()
    async with open_socket(consumer) as ws:
        response = await ask(ws, {"action": "patch", "pk": items[0].pk, "data": {"name": "ape"}})
    assert response == reply("patch", {"id": items[0].pk, "name": "APE", "value": 1})
    assert consumer.calls == [("patch", {"pk": items[0].pk, "action": "patch", "request_id": None})]


async def test_perform_delete_receives_the_message_keys(items: list[Item]) -> None:
    consumer = HookedItemConsumer()
    async with open_socket(consumer) as ws:
        await ask(ws, {"action": "delete", "pk": items[0].pk, "reason": "old"})
    assert consumer.calls == [("delete", {"pk": items[0].pk, "reason": "old", "action": "delete", "request_id": None})]


# -- serializer context --------------------------------------------------------------------------


async def test_serializer_context_has_scope_consumer_and_request(items: list[Item]) -> None:
    consumer = ItemConsumer()
    async with open_socket(consumer, "/ws/items/?token=abc", headers=[(b"host", b"api.example.com")]):
        context = consumer.get_serializer_context()
        assert context["scope"] is consumer.scope
        assert context["consumer"] is consumer
        assert context["request"].build_absolute_uri("/x/") == "http://api.example.com/x/"
        assert context["request"].GET["token"] == "abc"


async def test_hyperlinked_and_request_using_fields_work(items: list[Item], settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.support.generic_consumers"
    async with open_socket(ContextItemConsumer, headers=[(b"host", b"api.example.com")]) as ws:
        assert await ask(ws, {"action": "retrieve", "pk": items[0].pk}) == reply(
            "retrieve",
            {
                "id": items[0].pk,
                "url": f"http://api.example.com/items/{items[0].pk}/",
                "absolute": f"http://api.example.com/items/{items[0].pk}/raw/",
            },
        )


# -- get_queryset and lookups --------------------------------------------------------------------


async def test_get_queryset_can_use_the_message(items: list[Item]) -> None:
    async with open_socket(OwnValueItemConsumer) as ws:
        assert await ask(ws, {"action": "list", "value": 2}) == reply("list", [item_data(items[1])])


async def test_get_object_looks_in_get_queryset(items: list[Item]) -> None:
    async with open_socket(OwnValueItemConsumer) as ws:
        assert await ask(ws, {"action": "retrieve", "pk": items[0].pk, "value": 2}) == reply(
            "retrieve", status=404, errors=["Not found"]
        )


async def test_lookup_field_names_the_message_key(items: list[Item]) -> None:
    async with open_socket(NamedItemConsumer) as ws:
        assert await ask(ws, {"action": "retrieve", "name": "bee"}) == reply("retrieve", item_data(items[1]))
        assert await ask(ws, {"action": "patch", "name": "bee", "data": {"value": 20}}) == reply(
            "patch", {"id": items[1].pk, "name": "bee", "value": 20}
        )
        assert await ask(ws, {"action": "retrieve", "pk": items[1].pk}) == reply(
            "retrieve", status=400, errors=[{"name": REQUIRED}]
        )


async def test_lookup_url_kwarg_names_the_message_key(items: list[Item]) -> None:
    async with open_socket(SlugKwargItemConsumer) as ws:
        assert await ask(ws, {"action": "retrieve", "slug": "cat"}) == reply("retrieve", item_data(items[2]))
        assert await ask(ws, {"action": "retrieve", "name": "cat"}) == reply(
            "retrieve", status=400, errors=[{"slug": REQUIRED}]
        )


async def test_get_object_is_usable_from_a_sync_custom_action(items: list[Item]) -> None:
    consumer = StrictItemConsumer()
    async with open_socket(consumer):
        item = await sync_to_async(consumer.get_object)(pk=items[2].pk)
    assert item == items[2]


# -- configuration mistakes are server errors, not crashes --------------------------------------


async def test_consumer_without_queryset_replies_500_and_stays_open() -> None:
    class NoQueryset(ListModelMixin, GenericAsyncAPIConsumer):
        serializer_class = ItemSerializer

    async with open_socket(NoQueryset) as ws:
        assert await ask(ws, {"action": "list"}) == reply("list", status=500, errors=["A server error occurred."])
        assert await ask(ws, {"action": "list"}) == reply("list", status=500, errors=["A server error occurred."])


def test_missing_queryset_and_serializer_class_are_explained() -> None:
    consumer = GenericAsyncAPIConsumer()
    with pytest.raises(ImproperlyConfigured, match="should either include a `queryset` attribute"):
        consumer.get_queryset()
    with pytest.raises(ImproperlyConfigured, match="should either include a `serializer_class` attribute"):
        consumer.get_serializer_class()


async def test_get_serializer_without_action_kwargs(items: list[Item]) -> None:
    consumer = ItemConsumer()
    async with open_socket(consumer):
        serializer = consumer.get_serializer(instance=items[0])
        assert serializer.data == item_data(items[0])
        assert serializer.context["consumer"] is consumer


JUNK = [None, "", "x", -1, 0, 1.5, True, [], {}, [None], {"a": {"b": [1]}}, "\x00", "é" * 300, 2**63 - 1]


async def test_junk_arguments_never_break_the_socket(items: list[Item]) -> None:
    async with open_socket(ItemConsumer) as ws:
        for action in ["list", "retrieve", "create", "update", "patch", "delete"]:
            for value in JUNK:
                for message in (
                    {"action": action, "pk": value, "data": {"name": "x"}},
                    {"action": action, "pk": items[0].pk, "data": value},
                    {"action": action, "pk": items[0].pk, "data": {"name": value, "value": value}},
                    {"action": action, "pk": items[0].pk, "data": {"name": "ant"}, "extra": value},
                ):
                    response = await ask(ws, {**message, "request_id": repr(message)})
                    assert response["request_id"] == repr(message)
                    assert response["response_status"] in (200, 201, 204, 400, 404), response
                    if response["response_status"] == 204:
                        items[0] = await Item.objects.acreate(name="ant", value=1)
        await assert_still_answers(ws, items[1])
