"""The observers of one model share one receiver per signal: each still sees every change with the
state it was saved in, an observer that is gone is no longer called, and a change nobody listens to
is not serialized."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from djangochannelsrestframework.observer.base_observer import _sender
from djangochannelsrestframework.observer.model_observer import ModelObserver
from tests.support.app.models import Item

pytestmark = pytest.mark.django_db(transaction=True)

LISTENER = "specific.receivers-test!listener"


def recording_observer(name: str, seen: list[tuple[str, str, int]]) -> ModelObserver:
    """An observer of Item whose serializer records what it was given."""

    async def handler(consumer: Any, message: Any, **kwargs: Any) -> None:
        """Never called: nothing consumes LISTENER."""

    handler.__name__ = name
    observer = ModelObserver(func=handler, model_cls=Item)

    def record(observer: Any, instance: Item, action: Any, **kwargs: Any) -> dict[str, Any]:
        seen.append((name, action.value, instance.value))
        return {}

    observer.serializer(record)
    return observer


def listen(*observers: ModelObserver) -> list[str]:
    groups = [group for observer in observers for group in observer.group_names_for_signal()]
    for group in groups:
        async_to_sync(get_channel_layer().group_add)(group, LISTENER)
    return groups


def stop_listening(groups: list[str]) -> None:
    _sender.drain()
    for group in groups:
        async_to_sync(get_channel_layer().group_discard)(group, LISTENER)


def test_every_observer_gets_the_saved_state_of_a_change_made_in_a_transaction():
    seen: list[tuple[str, str, int]] = []
    first, second = recording_observer("first_changes", seen), recording_observer("second_changes", seen)
    groups = listen(first, second)
    try:
        with transaction.atomic():
            item = Item.objects.create(name="a", value=1)
            item.value = 2  # changed after the save, never saved: not what the event carries
        assert sorted(seen) == [("first_changes", "create", 1), ("second_changes", "create", 1)]
        seen.clear()
        with transaction.atomic():
            item.value = 3
            item.save()
            item.value = 4
            item.save()
        assert sorted(seen) == [("first_changes", "update", 4), ("second_changes", "update", 4)]
    finally:
        stop_listening(groups)


def test_an_observer_that_is_gone_is_no_longer_called():
    seen: list[tuple[str, str, int]] = []
    kept, dropped = recording_observer("kept_changes", seen), recording_observer("dropped_changes", seen)
    groups = listen(kept, dropped)
    try:
        del dropped
        gc.collect()
        Item.objects.create(name="a", value=5)
        assert seen == [("kept_changes", "create", 5)]
    finally:
        stop_listening(groups)


def test_a_change_nobody_listens_to_is_not_serialized():
    seen: list[tuple[str, str, int]] = []
    observer = recording_observer("unheard_changes", seen)
    Item.objects.create(name="a", value=6)
    with transaction.atomic():
        Item.objects.create(name="b", value=7)
    assert seen == []
    groups = listen(observer)
    try:
        Item.objects.create(name="c", value=8)
        assert seen == [("unheard_changes", "create", 8)]
    finally:
        stop_listening(groups)


def test_an_unheard_change_still_moves_the_state_an_observer_handed_out():
    observer = recording_observer("stateful_changes", [])
    item = Item(name="a", value=1)
    state = observer.get_observer_state(item)
    assert state.current_groups == set()
    item.save()
    assert state.current_groups == set(observer.group_names_for_signal())
    item.delete()
    assert state.current_groups == set()


class CountingObserver(ModelObserver):
    """Acts on every change, heard or not."""

    def database_event(self, instance: Any, action: Any, using: str = "default") -> None:
        self.calls.append(action.value)
        super().database_event(instance, action, using=using)


def test_an_observer_class_with_its_own_database_event_sees_unheard_changes():
    async def counted_changes(consumer: Any, message: Any, **kwargs: Any) -> None:
        """Never called."""

    observer = CountingObserver(func=counted_changes, model_cls=Item)
    observer.calls = []  # type: ignore[attr-defined]
    item = Item.objects.create(name="a")
    item.delete()
    assert observer.calls == ["create", "delete"]  # type: ignore[attr-defined]
