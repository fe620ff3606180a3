"""The request-id hooks of instance subscriptions that DCRF 1.3's users override (``_subscribe``,
``_unsubscribe``, ``_unsubscribe_groups``, ``_requests_for``, ``subscribed_requests``): called at the
same moments with the same arguments, and whatever an override returns is accepted."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from rest_framework.exceptions import NotFound

from djangochannelsrestframework import permissions
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin
from djangochannelsrestframework.testing import WebsocketClient
from tests.support.app.models import Item
from tests.support.envelope import reply
from tests.support.observer_consumers import ItemSerializer

pytestmark = pytest.mark.django_db(transaction=True)


class RecordingItemConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    """Records every hook call; each override returns something DCRF's own hook never does."""

    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    permission_classes = (permissions.AllowAny,)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, Any]] = []

    def _subscribe(self, request_id: Any, groups: Any) -> Any:
        self.calls.append(("_subscribe", (request_id, groups)))
        super()._subscribe(request_id, groups)
        return "ignored"

    def _unsubscribe(self, request_id: Any) -> Any:
        self.calls.append(("_unsubscribe", request_id))
        super()._unsubscribe(request_id)
        return 42

    def _unsubscribe_groups(self, groups: Any) -> Any:
        groups = list(groups)
        self.calls.append(("_unsubscribe_groups", sorted(groups)))
        super()._unsubscribe_groups(groups)
        return False


class StrictUnsubscribeConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    """Forgets a request id itself, returns nothing, and raises ``KeyError`` for one it never saw."""

    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    permission_classes = (permissions.AllowAny,)

    def _unsubscribe(self, request_id: Any) -> None:
        found = False
        for group in list(self.subscribed_requests):
            watchers = self.subscribed_requests[group]
            if request_id in watchers:
                found = True
                watchers.remove(request_id)
            if not watchers:
                del self.subscribed_requests[group]
        if not found:
            raise KeyError(request_id)

    @action()
    async def unsubscribe_instance(self, request_id: Any = None, **kwargs: Any) -> Any:
        try:
            return await super().unsubscribe_instance(request_id=request_id, **kwargs)
        except KeyError:
            raise NotFound(detail="No such subscription here.") from None


class ChosenRecipientsConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    """``_requests_for`` answers from ``self.recipients``: a list, a generator or ``None``."""

    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    permission_classes = (permissions.AllowAny,)
    recipients: Any = None

    def _requests_for(self, group: str | None) -> Any:
        chosen = type(self).recipients
        return chosen() if callable(chosen) else chosen


@database_sync_to_async
def create_item(**values: Any) -> Item:
    return Item.objects.create(**values)


@database_sync_to_async
def save(item: Item, **values: Any) -> None:
    for key, value in values.items():
        setattr(item, key, value)
    item.save()


def instance_group(consumer: Any, item: Item) -> str:
    return consumer.handle_instance_change.group_names_for_consumer(instance=item)[0]  # type: ignore[no-any-return]


async def test_subscribe_calls_the_subscribe_hook_with_the_request_id_and_a_set_of_groups() -> None:
    item = await create_item(name="a")
    consumer = RecordingItemConsumer()
    async with WebsocketClient(consumer) as client:
        await client.call("subscribe_instance", pk=item.pk, request_id="sub-1")
        group = instance_group(consumer, item)
        assert consumer.calls == [("_subscribe", ("sub-1", {group}))]
        assert consumer.subscribed_requests == {group: {"sub-1"}}


async def test_unsubscribe_by_request_id_calls_both_hooks_as_dcrf_does_and_stops_the_events() -> None:
    item = await create_item(name="a")
    consumer = RecordingItemConsumer()
    async with WebsocketClient(consumer) as client:
        await client.call("subscribe_instance", pk=item.pk, request_id=1)
        group = instance_group(consumer, item)
        consumer.calls.clear()
        unsubscribed = await client.call("unsubscribe_instance", pk=item.pk, request_id=1)
        assert unsubscribed == reply("unsubscribe_instance", status=204, request_id=1)
        assert consumer.calls == [("_unsubscribe", 1), ("_unsubscribe_groups", [group])]
        assert consumer.subscribed_requests == {}
        assert group not in consumer.groups
        await save(item, value=3)
        await client.assert_nothing_pending()


async def test_unsubscribe_by_request_id_keeps_a_group_another_request_id_watches() -> None:
    item = await create_item(name="a")
    consumer = RecordingItemConsumer()
    async with WebsocketClient(consumer) as client:
        await client.call("subscribe_instance", pk=item.pk, request_id=1)
        await client.call("subscribe_instance", pk=item.pk, request_id=2)
        group = instance_group(consumer, item)
        consumer.calls.clear()
        await client.call("unsubscribe_instance", pk=item.pk, request_id=1)
        assert consumer.calls == [("_unsubscribe", 1), ("_unsubscribe_groups", [])]
        assert group in consumer.groups
        await save(item, value=4)
        assert await client.event(action="update") == reply(
            "update", {"id": item.pk, "name": "a", "value": 4}, request_id=2
        )
        await client.assert_nothing_pending()


async def test_unsubscribe_without_request_id_calls_the_groups_hook_with_the_objects_groups() -> None:
    item = await create_item(name="a")
    consumer = RecordingItemConsumer()
    async with WebsocketClient(consumer) as client:
        await client.call("subscribe_instance", pk=item.pk, request_id=1)
        group = instance_group(consumer, item)
        consumer.calls.clear()
        await client.send({"action": "unsubscribe_instance", "pk": item.pk})
        assert await client.event(action="unsubscribe_instance") == reply("unsubscribe_instance", status=204)
        assert consumer.calls == [("_unsubscribe_groups", [group])]
        assert consumer.subscribed_requests == {}
        await save(item, value=5)
        await client.assert_nothing_pending()


async def test_an_unsubscribe_override_that_returns_nothing_ends_the_subscription() -> None:
    item = await create_item(name="a")
    consumer = StrictUnsubscribeConsumer()
    async with WebsocketClient(consumer) as client:
        await client.call("subscribe_instance", pk=item.pk, request_id="r1")
        unsubscribed = await client.call("unsubscribe_instance", pk=item.pk, request_id="r1")
        assert unsubscribed == reply("unsubscribe_instance", status=204, request_id="r1")
        assert consumer.subscribed_requests == {}
        assert consumer.groups == set()
        await save(item, value=6)
        await client.assert_nothing_pending()


async def test_an_unsubscribe_override_that_raises_reaches_the_users_action() -> None:
    item = await create_item(name="a")
    async with WebsocketClient(StrictUnsubscribeConsumer) as client:
        await client.call("subscribe_instance", pk=item.pk, request_id="r1")
        await client.call("unsubscribe_instance", pk=item.pk, request_id="r1")
        again = await client.call("unsubscribe_instance", pk=item.pk, request_id="r1")
        errors = ["No such subscription here."]
        assert again == reply("unsubscribe_instance", errors=errors, status=404, request_id="r1")


@pytest.mark.parametrize(
    ("recipients", "expected"),
    [
        (lambda: ["chosen"], ["chosen"]),
        (lambda: (request_id for request_id in ("x", "y")), ["x", "y"]),
        (lambda: None, []),
    ],
    ids=["list", "generator", "none"],
)
async def test_requests_for_may_return_any_iterable_or_none(recipients: Any, expected: list[str]) -> None:
    item = await create_item(name="a")
    consumer_class = type("Chosen", (ChosenRecipientsConsumer,), {"recipients": staticmethod(recipients)})
    async with WebsocketClient(consumer_class) as client:
        await client.call("subscribe_instance", pk=item.pk, request_id="x")
        await save(item, value=8)
        data = {"id": item.pk, "name": "a", "value": 8}
        received = [await client.event(action="update") for _ in expected]
        assert received == [reply("update", data, request_id=request_id) for request_id in expected]
        await client.assert_nothing_pending()


async def test_a_consumer_instance_serving_one_connection_after_another_delivers_on_each() -> None:
    # DCRF-style routing passes an instance (``ThingConsumer()``), which then serves every connection.
    item = await create_item(name="a")
    consumer = RecordingItemConsumer()
    for round_ in (1, 2, 3):
        async with WebsocketClient(consumer) as client:
            await client.call("subscribe_instance", pk=item.pk, request_id=round_)
            assert consumer._requests_for(None) == {round_}  # nothing left from the last connection
            await save(item, value=round_)
            assert await client.event(action="update") == reply(
                "update", {"id": item.pk, "name": "a", "value": round_}, request_id=round_
            )
            await client.assert_nothing_pending()
