"""Object permissions: ``get_object`` asks every permission's ``has_object_permission`` (ours and DRF's)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import permissions as drf_permissions

from djangochannelsrestframework import permissions
from tests.support.app.models import Item
from tests.support.envelope import reply
from tests.support.generic_consumers import (
    DRFEvenValuesOnly,
    DRFNamedPublic,
    EvenValuesOnly,
    ask,
    item_consumer_with,
    open_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)

DENIED = ["You do not have permission to perform this action."]


class OddObjects(permissions.BasePermission):
    """Matches odd-valued objects only (no connection, no collection): ``~OddObjects`` allows the rest."""

    async def can_connect(self, scope: dict[str, Any], consumer: Any, message: Any = None) -> bool:
        return False

    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        return False

    async def has_object_permission(
        self, scope: dict[str, Any], consumer: Any, action: str, obj: Any, **kwargs: Any
    ) -> bool:
        return bool(obj.value % 2 == 1)


class DRFOddObjects(drf_permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return False

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return bool(obj.value % 2 == 1)


class RetrieveOnlyObjects(permissions.BasePermission):
    """Sync methods work too; the action and the message keys arrive as keywords."""

    def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:  # type: ignore[override]
        return True

    def has_object_permission(  # type: ignore[override]
        self, scope: dict[str, Any], consumer: Any, action: str, obj: Any, **kwargs: Any
    ) -> bool:
        return action == "retrieve" or kwargs.get("password") == "sesame"


@pytest.fixture
def odd() -> Item:
    return Item.objects.create(name="odd", value=1)


@pytest.fixture
def even() -> Item:
    return Item.objects.create(name="even", value=2)


@pytest.fixture
def public() -> Item:
    return Item.objects.create(name="public", value=3)


def detail_messages(item: Item) -> list[dict[str, Any]]:
    return [
        {"action": "retrieve", "pk": item.pk},
        {"action": "update", "pk": item.pk, "data": {"name": "changed", "value": 10}},
        {"action": "patch", "pk": item.pk, "data": {"name": "changed"}},
        {"action": "delete", "pk": item.pk},
    ]


async def assert_denied_on(consumer_class: Any, item: Item) -> None:
    async with open_socket(consumer_class) as ws:
        for message in detail_messages(item):
            assert await ask(ws, message) == reply(message["action"], status=403, errors=DENIED)
    unchanged = await Item.objects.aget(pk=item.pk)
    assert (unchanged.name, unchanged.value) == (item.name, item.value)


async def assert_allowed_on(consumer_class: Any, item: Item) -> None:
    data = {"id": item.pk, "name": item.name, "value": item.value}
    async with open_socket(consumer_class) as ws:
        assert await ask(ws, {"action": "retrieve", "pk": item.pk}) == reply("retrieve", data)
        assert await ask(ws, {"action": "patch", "pk": item.pk, "data": {"value": item.value}}) == reply("patch", data)


async def assert_lists(consumer_class: Any, *items: Item) -> None:
    async with open_socket(consumer_class) as ws:
        assert await ask(ws, {"action": "list"}) == reply(
            "list", [{"id": item.pk, "name": item.name, "value": item.value} for item in items]
        )


@pytest.mark.parametrize("permission", [EvenValuesOnly, DRFEvenValuesOnly], ids=["ours", "drf"])
async def test_object_permission_denies_every_detail_action(permission: Any, odd: Item) -> None:
    await assert_denied_on(item_consumer_with(permission), odd)


@pytest.mark.parametrize("permission", [EvenValuesOnly, DRFEvenValuesOnly], ids=["ours", "drf"])
async def test_object_permission_allows_permitted_objects(permission: Any, even: Item) -> None:
    await assert_allowed_on(item_consumer_with(permission), even)


@pytest.mark.parametrize("permission", [EvenValuesOnly, DRFEvenValuesOnly], ids=["ours", "drf"])
async def test_list_is_not_subject_to_object_permissions(permission: Any, odd: Item, even: Item) -> None:
    await assert_lists(item_consumer_with(permission), odd, even)


async def test_object_permission_sees_the_action_and_message_keys(odd: Item) -> None:
    consumer = item_consumer_with(RetrieveOnlyObjects)
    async with open_socket(consumer) as ws:
        assert await ask(ws, {"action": "retrieve", "pk": odd.pk}) == reply(
            "retrieve", {"id": odd.pk, "name": "odd", "value": 1}
        )
        assert await ask(ws, {"action": "delete", "pk": odd.pk}) == reply("delete", status=403, errors=DENIED)
        assert await ask(ws, {"action": "delete", "pk": odd.pk, "password": "sesame"}) == reply("delete", status=204)


async def test_missing_object_is_404_before_object_permissions() -> None:
    async with open_socket(item_consumer_with(EvenValuesOnly)) as ws:
        assert await ask(ws, {"action": "retrieve", "pk": 12345}) == reply("retrieve", status=404, errors=["Not found"])


# -- composition ---------------------------------------------------------------------------------

AND_CASES = [
    pytest.param(EvenValuesOnly & DRFNamedPublic, id="ours&drf"),
    pytest.param(DRFNamedPublic & EvenValuesOnly, id="drf&ours"),
    pytest.param(DRFEvenValuesOnly & DRFNamedPublic, id="drf&drf"),
]


@pytest.mark.parametrize("permission", AND_CASES)
async def test_and_needs_both_object_permissions(permission: Any, even: Item, public: Item) -> None:
    await assert_denied_on(item_consumer_with(permission), even)
    await assert_denied_on(item_consumer_with(permission), public)
    await assert_lists(item_consumer_with(permission), even, public)


OR_CASES = [
    pytest.param(EvenValuesOnly | DRFNamedPublic, id="ours|drf"),
    pytest.param(DRFNamedPublic | EvenValuesOnly, id="drf|ours"),
    pytest.param(DRFEvenValuesOnly | DRFNamedPublic, id="drf|drf"),
]


@pytest.mark.parametrize("permission", OR_CASES)
async def test_or_needs_either_object_permission(permission: Any, odd: Item, even: Item, public: Item) -> None:
    await assert_allowed_on(item_consumer_with(permission), even)
    await assert_allowed_on(item_consumer_with(permission), public)
    await assert_denied_on(item_consumer_with(permission), odd)


NOT_CASES = [
    pytest.param(~OddObjects, id="~ours"),
    pytest.param(~DRFOddObjects, id="~drf"),
]


@pytest.mark.parametrize("permission", NOT_CASES)
async def test_not_inverts_the_object_permission(permission: Any, odd: Item, even: Item) -> None:
    await assert_allowed_on(item_consumer_with(permission), even)
    await assert_denied_on(item_consumer_with(permission), odd)
    await assert_lists(item_consumer_with(permission), odd, even)


async def test_socket_keeps_working_after_a_denial(odd: Item, even: Item) -> None:
    async with open_socket(item_consumer_with(EvenValuesOnly)) as ws:
        assert await ask(ws, {"action": "retrieve", "pk": odd.pk}) == reply("retrieve", status=403, errors=DENIED)
        assert await ask(ws, {"action": "retrieve", "pk": even.pk}) == reply(
            "retrieve", {"id": even.pk, "name": "even", "value": 2}
        )
