"""The mixins work in any documented order (docs/mixins.rst, live_lists.rst, instance_subscriptions.rst).

A mixin listed before a mixin that already subclasses it (``ListModelMixin`` before
``ListSubscriptionMixin``, ``RetrieveModelMixin`` before ``ObserverModelInstanceMixin``) is a
``TypeError`` in plain Python; our consumers' metaclass takes it as listed where its subclass is.
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    ListModelMixin,
    ListSubscriptionMixin,
    PaginatedModelListMixin,
    RetrieveModelMixin,
)
from djangochannelsrestframework.observer import ObserverModelInstanceMixin
from djangochannelsrestframework.testing import WebsocketClient
from docs.examples.mixins_live import ItemConsumer, ItemSerializer
from tests.support.app.models import Item

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)

ALL_ACTIONS = {
    "create",
    "delete",
    "list",
    "patch",
    "retrieve",
    "subscribe_instance",
    "subscribe_list",
    "unsubscribe_instance",
    "unsubscribe_list",
    "update",
}


def consumer(*bases: type) -> Any:
    body = {"queryset": Item.objects.order_by("id"), "serializer_class": ItemSerializer, "__module__": __name__}
    return type("Ordered", bases, body)


@pytest.mark.parametrize(
    "bases",
    [
        (ListModelMixin, ListSubscriptionMixin, GenericAsyncAPIConsumer),
        (ListSubscriptionMixin, ListModelMixin, GenericAsyncAPIConsumer),
        (RetrieveModelMixin, ObserverModelInstanceMixin, GenericAsyncAPIConsumer),
        (ObserverModelInstanceMixin, RetrieveModelMixin, GenericAsyncAPIConsumer),
        (PaginatedModelListMixin, ListSubscriptionMixin, GenericAsyncAPIConsumer),
        (
            ListModelMixin,
            RetrieveModelMixin,
            ListSubscriptionMixin,
            ObserverModelInstanceMixin,
            GenericAsyncAPIConsumer,
        ),
    ],
    ids=lambda bases: "-".join(base.__name__ for base in bases),
)
def test_every_order_of_the_mixins_makes_a_class(bases: tuple[type, ...]) -> None:
    cls = consumer(*bases)
    assert all(issubclass(cls, base) for base in bases)
    expected = {action for base in bases for action in ALL_ACTIONS if callable(getattr(base, action, None))}
    assert set(cls.available_actions) == expected


def test_the_redundant_mixin_is_taken_where_its_subclass_is() -> None:
    cls = consumer(ListModelMixin, ListSubscriptionMixin, GenericAsyncAPIConsumer)
    assert cls.__bases__ == (ListSubscriptionMixin, GenericAsyncAPIConsumer)
    assert cls.__mro__.index(ListSubscriptionMixin) < cls.__mro__.index(ListModelMixin)


def test_bases_without_any_order_get_an_error_naming_the_fix() -> None:
    class ListThenRetrieve(ListModelMixin, RetrieveModelMixin):
        pass

    class RetrieveThenList(RetrieveModelMixin, ListModelMixin):
        pass

    with pytest.raises(TypeError) as failure:
        consumer(ListThenRetrieve, RetrieveThenList, GenericAsyncAPIConsumer)
    message = str(failure.value)
    assert message.startswith(
        "Ordered(ListThenRetrieve, RetrieveThenList, GenericAsyncAPIConsumer): these bases have no consistent "
        "method resolution order (Cannot create a consistent method resolution order (MRO) for bases "
    )  # then Python's own list of the bases in conflict, which differs between Python versions
    assert message.endswith(
        "). List each mixin before the classes it builds on: mixins first, "
        "GenericAsyncAPIConsumer (or AsyncAPIConsumer) last."
    )


async def test_the_all_crud_and_live_consumer_of_the_docs_works() -> None:
    assert set(ItemConsumer.available_actions) == ALL_ACTIONS
    async with WebsocketClient(ItemConsumer) as client:
        listed = await client.call("subscribe_list", request_id="items")
        assert (listed.status, listed.data) == (200, [])
        created = await client.call("create", data={"name": "apple", "value": 1})
        assert (created.status, created.data) == (201, {"id": 1, "name": "apple", "value": 1})
        event = await client.event(request_id="items", action="create")
        assert event.data == {"id": 1, "name": "apple", "value": 1}
        subscribed = await client.call("subscribe_instance", pk=1, request_id="apple")
        assert subscribed.status == 201
        patched = await client.call("patch", pk=1, data={"value": 2})
        assert patched.data == {"id": 1, "name": "apple", "value": 2}
        live = await client.events(2, action="update")
        assert sorted(frame.request_id for frame in live) == ["apple", "items"]
        assert all(frame.data == {"id": 1, "name": "apple", "value": 2} for frame in live)
        assert await database_sync_to_async(Item.objects.count)() == 1


def test_a_class_made_with_type_keeps_its_callers_module() -> None:
    assert type("Made", (GenericAsyncAPIConsumer,), {}).__module__ == __name__
