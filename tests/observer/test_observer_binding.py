"""Generic observers bound per consumer class: classes that share a module and a name (defined in a
function that runs twice) share the group names, and each change still reaches a subscriber once."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from channels.db import database_sync_to_async

from djangochannelsrestframework import permissions
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin
from djangochannelsrestframework.observer.model_observer import ModelObserver, UnsupportedWarning
from djangochannelsrestframework.testing import WebsocketClient
from tests.support.app.models import Board, Item
from tests.support.envelope import reply
from tests.support.observer_consumers import ItemSerializer

pytestmark = pytest.mark.django_db(transaction=True)


def watcher_class(model: type = Item, many_to_many: bool = False) -> Any:
    """A new consumer class on every call, always with the same module and name."""

    class Watcher(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
        queryset = model.objects.all()
        serializer_class = ItemSerializer
        permission_classes = (permissions.AllowAny,)
        observer_many_to_many_relationships = many_to_many

    return Watcher


@database_sync_to_async
def create_item(**values: Any) -> Item:
    return Item.objects.create(**values)


@database_sync_to_async
def save(item: Item, **values: Any) -> None:
    for key, value in values.items():
        setattr(item, key, value)
    item.save()


def test_same_named_classes_on_one_model_share_one_observer() -> None:
    first, second = watcher_class(), watcher_class()
    assert first is not second
    assert isinstance(first.handle_instance_change, ModelObserver)
    assert first.handle_instance_change is second.handle_instance_change


def test_another_model_or_many_to_many_setting_gets_its_own_observer() -> None:
    on_items = watcher_class()
    on_boards = watcher_class(Board)
    with pytest.warns(UnsupportedWarning, match="many-to-many"):
        with_m2m = watcher_class(Board, many_to_many=True)
    assert on_boards.handle_instance_change is not on_items.handle_instance_change
    assert on_boards.handle_instance_change.model_cls is Board
    assert with_m2m.handle_instance_change is not on_boards.handle_instance_change


async def test_a_change_reaches_the_subscriber_once_while_an_older_same_named_class_lives() -> None:
    older = watcher_class()
    newer = watcher_class()
    item = await create_item(name="a")
    async with WebsocketClient(newer) as client:
        await client.call("subscribe_instance", pk=item.pk, request_id=4)
        await save(item, value=2)
        assert await client.event(action="update") == reply(
            "update", {"id": item.pk, "name": "a", "value": 2}, request_id=4
        )
        await client.assert_nothing_pending()
    assert older.handle_instance_change is newer.handle_instance_change


async def test_subscribers_of_both_same_named_classes_each_get_a_change_once() -> None:
    older, newer = watcher_class(), watcher_class()
    item = await create_item(name="a")
    async with WebsocketClient(older) as first, WebsocketClient(newer) as second:
        await first.call("subscribe_instance", pk=item.pk, request_id=1)
        await second.call("subscribe_instance", pk=item.pk, request_id=2)
        await save(item, value=5)
        data = {"id": item.pk, "name": "a", "value": 5}
        assert await first.event(action="update") == reply("update", data, request_id=1)
        assert await second.event(action="update") == reply("update", data, request_id=2)
        await first.assert_nothing_pending()
        await second.assert_nothing_pending()


def test_the_shared_observer_is_freed_with_the_last_class_that_holds_it() -> None:
    body = {"queryset": Item.objects.all(), "serializer_class": ItemSerializer}
    lonely = type("LonelyWatcher", (ObserverModelInstanceMixin, GenericAsyncAPIConsumer), body)
    observer = weakref.ref(lonely.handle_instance_change)
    del lonely
    gc.collect()
    assert observer() is None
