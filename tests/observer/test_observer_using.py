"""Events follow the transaction of the database the change was made on (``using``)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from tests.observer.test_observer_model import event, subscribed
from tests.support.app.models import Item

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "other"])


@database_sync_to_async
def run(func):
    return func()


async def test_event_waits_for_the_commit_of_the_database_written_to():
    communicator = await subscribed()

    def write_on_other():
        with transaction.atomic(using="other"):
            item = Item(name="elsewhere", value=3)
            item.save(using="other")
            # The default database commits first; the event must still wait for "other".
            with transaction.atomic(using="default"):
                pass
            return item

    item = await run(write_on_other)
    assert await communicator.receive_json_from() == event("create", {"id": item.pk, "name": "elsewhere", "value": 3})
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_rollback_on_the_database_written_to_sends_nothing_even_if_default_commits():
    communicator = await subscribed()

    def write_then_roll_back():
        with transaction.atomic(using="default"):
            try:
                with transaction.atomic(using="other"):
                    Item(name="gone", value=1).save(using="other")
                    raise RuntimeError("roll back other")
            except RuntimeError:
                pass

    await run(write_then_roll_back)
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_changes_on_both_databases_each_send_after_their_own_commit():
    communicator = await subscribed()

    def write_both():
        with transaction.atomic(using="other"):
            Item(name="on-other", value=1).save(using="other")
            with transaction.atomic(using="default"):
                Item.objects.create(name="on-default", value=2)
        return list(Item.objects.using("other").values_list("pk", flat=True)), list(
            Item.objects.values_list("pk", flat=True)
        )

    (other_pk,), (default_pk,) = await run(write_both)
    first = await communicator.receive_json_from()
    second = await communicator.receive_json_from()
    # default commits inside other's block, so its event goes out first
    assert first == event("create", {"id": default_pk, "name": "on-default", "value": 2})
    assert second == event("create", {"id": other_pk, "name": "on-other", "value": 1})
    await communicator.disconnect()
