"""Live list subscriptions: a snapshot equal to ``list``, then create/update/delete events relative
to each subscriber's own filtered, permission-checked queryset, after commit and in commit order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from djangochannelsrestframework._engine.fanout import registry
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.mixins import PaginatedModelListMixin
from tests.support.app.models import Item
from tests.support.envelope import connect, reply
from tests.support.list_consumers import (
    ItemListConsumer,
    NoSecretsItemList,
    PagedItemListConsumer,
    StaffSeesValues,
    StreamedItemList,
    ViewersItemList,
)

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


@database_sync_to_async
def run(func: Any) -> Any:
    return func()


def item(pk: int, name: str, value: int) -> dict[str, Any]:
    return {"id": pk, "name": name, "value": value}


async def exchange(communicator: Any, message: dict[str, Any]) -> Any:
    await communicator.send_json_to(message)
    return await communicator.receive_json_from()


async def subscribe(communicator: Any, request_id: Any = 1, **params: Any) -> Any:
    return await exchange(communicator, {"action": "subscribe_list", "request_id": request_id, **params})


async def nothing_more(*communicators: Any) -> None:
    for communicator in communicators:
        assert await communicator.receive_nothing(timeout=0.2)


def save(pk: int, **fields: Any) -> None:
    row = Item.objects.get(pk=pk)
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()


# -- the snapshot ----------------------------------------------------------------------------------


async def test_the_snapshot_is_the_list_reply_for_the_same_parameters():
    await run(lambda: [Item.objects.create(name=name, value=value) for name, value in [("a", 1), ("b", 5), ("c", 9)]])
    communicator = await connect(ItemListConsumer)
    listed = await exchange(communicator, {"action": "list", "request_id": 1, "min_value": 4, "search": "c"})
    snapshot = await subscribe(communicator, request_id=2, min_value=4, search="c")
    assert listed == reply("list", [item(3, "c", 9)], request_id=1)
    assert snapshot == reply("subscribe_list", listed["data"], request_id=2)
    await communicator.disconnect()


async def test_a_paginated_snapshot_is_the_page_and_events_cover_the_whole_filtered_queryset():
    await run(lambda: [Item.objects.create(name=f"i{n}", value=n) for n in range(1, 6)])
    communicator = await connect(PagedItemListConsumer)
    listed = await exchange(communicator, {"action": "list", "request_id": 1, "limit": 2, "offset": 0})
    snapshot = await subscribe(communicator, request_id=2, limit=2, offset=0)
    assert snapshot == reply("subscribe_list", listed["data"], request_id=2)
    assert snapshot["data"] == {"count": 5, "results": [item(1, "i1", 1), item(2, "i2", 2)], "limit": 2, "offset": 0}
    await run(lambda: save(5, value=50))  # on no page the client holds, but in the filtered queryset
    assert await communicator.receive_json_from() == reply("update", item(5, "i5", 50), request_id=2)
    await run(lambda: Item.objects.create(name="i6", value=6))
    assert await communicator.receive_json_from() == reply("create", item(6, "i6", 6), request_id=2)
    await nothing_more(communicator)
    await communicator.disconnect()


async def test_subscribing_needs_a_request_id_and_a_new_one():
    communicator = await connect(ItemListConsumer)
    assert await exchange(communicator, {"action": "subscribe_list"}) == reply(
        "subscribe_list", errors=[{"request_id": ["This argument is required."]}], status=400
    )
    assert (await subscribe(communicator, request_id=[1, "x"]))["response_status"] == 200
    assert await subscribe(communicator, request_id=[1, "x"]) == reply(
        "subscribe_list",
        errors=[{"request_id": ["A list subscription with this request_id exists already."]}],
        status=400,
        request_id=[1, "x"],
    )
    await communicator.disconnect()


# -- events ------------------------------------------------------------------------------------------


async def test_rows_entering_changing_inside_and_leaving_the_filter():
    low = await run(lambda: Item.objects.create(name="low", value=1))
    communicator = await connect(ItemListConsumer)
    assert await subscribe(communicator, request_id=7, min_value=5) == reply("subscribe_list", [], request_id=7)

    await run(lambda: save(low.pk, value=2))  # outside before and after: nothing
    await nothing_more(communicator)
    await run(lambda: save(low.pk, value=6))  # enters
    assert await communicator.receive_json_from() == reply("create", item(low.pk, "low", 6), request_id=7)
    await run(lambda: save(low.pk, name="mid"))  # changes inside
    assert await communicator.receive_json_from() == reply("update", item(low.pk, "mid", 6), request_id=7)
    await run(lambda: save(low.pk, value=0))  # leaves
    assert await communicator.receive_json_from() == reply("delete", {"pk": low.pk}, status=204, request_id=7)
    await run(lambda: save(low.pk, value=3))  # outside again: nothing
    await nothing_more(communicator)
    await communicator.disconnect()


async def test_created_and_deleted_rows():
    communicator = await connect(ItemListConsumer)
    await subscribe(communicator, request_id=1)
    new = await run(lambda: Item.objects.create(name="new", value=1))
    assert await communicator.receive_json_from() == reply("create", item(new.pk, "new", 1), request_id=1)
    await run(lambda: Item.objects.filter(pk=new.pk).delete())
    assert await communicator.receive_json_from() == reply("delete", {"pk": new.pk}, status=204, request_id=1)
    await nothing_more(communicator)
    await communicator.disconnect()


async def test_one_commit_of_many_rows_arrives_in_the_order_they_changed():
    first = await run(lambda: Item.objects.create(name="first", value=1))
    communicator = await connect(ItemListConsumer)
    await subscribe(communicator, request_id=1)

    def several() -> list[Item]:
        with transaction.atomic():
            second = Item.objects.create(name="second", value=2)
            Item.objects.filter(pk=first.pk).delete()
            third = Item.objects.create(name="third", value=3)
            second.value = 22
            second.save()
            gone = Item.objects.create(name="gone")
            gone.delete()  # created and deleted in one commit: nothing
        return [second, third]

    second, third = await run(several)
    assert [await communicator.receive_json_from() for _ in range(3)] == [
        reply("create", item(second.pk, "second", 22), request_id=1),
        reply("delete", {"pk": first.pk}, status=204, request_id=1),
        reply("create", item(third.pk, "third", 3), request_id=1),
    ]
    await nothing_more(communicator)
    await communicator.disconnect()


async def test_rollbacks_send_nothing():
    communicator = await connect(ItemListConsumer)
    await subscribe(communicator, request_id=1)

    def rolled_back() -> Item:
        with transaction.atomic():
            Item.objects.create(name="dropped")
            transaction.set_rollback(True)
        with transaction.atomic():
            kept = Item.objects.create(name="kept")
            try:
                with transaction.atomic():
                    Item.objects.create(name="savepoint")
                    raise RuntimeError("roll back the savepoint")
            except RuntimeError:
                pass
        return kept

    kept = await run(rolled_back)
    assert await communicator.receive_json_from() == reply("create", item(kept.pk, "kept", 0), request_id=1)
    await nothing_more(communicator)
    await communicator.disconnect()


async def test_commit_order_holds_across_a_burst():
    communicator = await connect(ItemListConsumer)
    await subscribe(communicator, request_id=1)

    def commit_each(change: Any, pks: list[int]) -> None:
        for pk in pks:
            with transaction.atomic():
                change(pk)

    pks = await run(lambda: [Item.objects.create(name=f"n{number}", value=number).pk for number in range(30)])
    assert [await communicator.receive_json_from() for _ in pks] == [
        reply("create", item(pk, f"n{number}", number), request_id=1) for number, pk in enumerate(pks)
    ]
    await run(lambda: commit_each(lambda pk: save(pk, value=-pk), pks[::-1]))
    assert [await communicator.receive_json_from() for _ in pks] == [
        reply("update", item(pk, f"n{pk - 1}", -pk), request_id=1) for pk in pks[::-1]
    ]
    await run(lambda: commit_each(lambda pk: Item.objects.filter(pk=pk).delete(), pks[::3]))
    assert [await communicator.receive_json_from() for _ in pks[::3]] == [
        reply("delete", {"pk": pk}, status=204, request_id=1) for pk in pks[::3]
    ]
    await nothing_more(communicator)
    await communicator.disconnect()


async def test_events_show_rows_as_they_are_when_evaluated():
    # Evaluation follows the commit by moments: a row created and deleted again before it ran is
    # never shown, and the client's copy still ends equal to the queryset.
    communicator = await connect(ItemListConsumer)
    await subscribe(communicator, request_id=1)

    def create_then_delete() -> int:
        short = Item.objects.create(name="short-lived")
        kept = Item.objects.create(name="kept")
        short.delete()
        return kept.pk

    kept = await run(create_then_delete)  # the evaluations wait for this thread: all ran after it
    assert await communicator.receive_json_from() == reply("create", item(kept, "kept", 0), request_id=1)
    await nothing_more(communicator)
    await communicator.disconnect()


async def test_several_subscriptions_of_one_socket_each_get_their_own_events():
    communicator = await connect(ItemListConsumer)
    await subscribe(communicator, request_id="all")
    await subscribe(communicator, request_id="big", min_value=10)
    small = await run(lambda: Item.objects.create(name="small", value=1))
    assert await communicator.receive_json_from() == reply("create", item(small.pk, "small", 1), request_id="all")
    await nothing_more(communicator)
    await run(lambda: save(small.pk, value=11))
    assert sorted([await communicator.receive_json_from() for _ in range(2)], key=lambda m: m["request_id"]) == [
        reply("update", item(small.pk, "small", 11), request_id="all"),
        reply("create", item(small.pk, "small", 11), request_id="big"),
    ]
    await communicator.disconnect()


# -- per-subscriber correctness ------------------------------------------------------------------------


async def test_two_users_with_different_serializers_get_different_payloads_for_one_change():
    staff, plain = await run(
        lambda: (User.objects.create(username="staff", is_staff=True), User.objects.create(username="plain"))
    )
    staff_socket = await connect(StaffSeesValues, user=staff)
    plain_socket = await connect(StaffSeesValues, user=plain)
    await subscribe(staff_socket, request_id="s")
    await subscribe(plain_socket, request_id="p")
    row = await run(lambda: Item.objects.create(name="row", value=4))
    assert await staff_socket.receive_json_from() == reply("create", item(row.pk, "row", 4), request_id="s")
    assert await plain_socket.receive_json_from() == reply("create", {"id": row.pk, "name": "row"}, request_id="p")
    await staff_socket.disconnect()
    await plain_socket.disconnect()


async def test_a_revoked_permission_gives_a_delete_and_then_silence():
    def setup() -> tuple[User, Item]:
        user = User.objects.create(username="viewer")
        user.groups.add(Group.objects.create(name="viewers"))
        return user, Item.objects.create(name="watched", value=1)

    user, row = await run(setup)
    communicator = await connect(ViewersItemList, user=user)
    snapshot = await subscribe(communicator, request_id=1)
    assert snapshot == reply("subscribe_list", [item(row.pk, "watched", 1)], request_id=1)
    await run(lambda: user.groups.clear())
    await run(lambda: save(row.pk, value=2))
    assert await communicator.receive_json_from() == reply("delete", {"pk": row.pk}, status=204, request_id=1)
    await run(lambda: save(row.pk, value=3))
    await run(lambda: Item.objects.create(name="another"))
    await nothing_more(communicator)
    await communicator.disconnect()


async def test_an_object_permission_change_gives_a_delete_and_then_silence():
    row = await run(lambda: Item.objects.create(name="open", value=1))
    communicator = await connect(NoSecretsItemList)
    await subscribe(communicator, request_id=1)
    await run(lambda: save(row.pk, name="secret plan"))
    assert await communicator.receive_json_from() == reply("delete", {"pk": row.pk}, status=204, request_id=1)
    await run(lambda: save(row.pk, value=99))
    await run(lambda: Item.objects.create(name="secret too"))
    await nothing_more(communicator)
    await run(lambda: save(row.pk, name="open again"))
    assert await communicator.receive_json_from() == reply("create", item(row.pk, "open again", 99), request_id=1)
    await communicator.disconnect()


# -- unsubscribing -----------------------------------------------------------------------------------------


async def test_unsubscribe_list_stops_only_that_subscription():
    communicator = await connect(ItemListConsumer)
    await subscribe(communicator, request_id=1)
    await subscribe(communicator, request_id=2)
    assert await exchange(communicator, {"action": "unsubscribe_list", "request_id": 1}) == reply(
        "unsubscribe_list", status=204, request_id=1
    )
    row = await run(lambda: Item.objects.create(name="after"))
    assert await communicator.receive_json_from() == reply("create", item(row.pk, "after", 0), request_id=2)
    await nothing_more(communicator)
    assert await exchange(communicator, {"action": "unsubscribe_list", "request_id": 2}) == reply(
        "unsubscribe_list", status=204, request_id=2
    )
    await run(lambda: Item.objects.create(name="unheard"))
    await nothing_more(communicator)
    assert await exchange(communicator, {"action": "unsubscribe_list", "request_id": 2}) == reply(
        "unsubscribe_list", errors=["No list subscription has this request_id."], status=404, request_id=2
    )
    await communicator.disconnect()


async def test_disconnect_forgets_the_subscriptions():
    communicator = await connect(ItemListConsumer)
    await subscribe(communicator, request_id=1)
    group = ItemListConsumer.handle_list_change.group_names_for_consumer(None)[0]
    assert len([s for members in registry.cohorts(group).values() for s in members]) == 1
    await communicator.disconnect()
    assert registry.cohorts(group) == {}


# -- cohorts -------------------------------------------------------------------------------------------------


def membership_queries(captured: list[dict[str, Any]]) -> list[str]:
    table = Item._meta.db_table
    return [q["sql"] for q in captured if q["sql"].startswith("SELECT") and f'"{table}"."id" IN' in q["sql"]]


async def test_two_hundred_subscribers_of_one_cohort_cost_one_membership_query_per_batch():
    sockets = [await connect(ItemListConsumer, user=AnonymousUser()) for _ in range(200)]
    for number, communicator in enumerate(sockets):
        await subscribe(communicator, request_id=number, min_value=1)
    group = ItemListConsumer.handle_list_change.group_names_for_consumer(None)[0]
    assert [len(members) for members in registry.cohorts(group).values()] == [200]
    # database_sync_to_async runs every call on one thread: capture that thread's queries.
    queries = CaptureQueriesContext(connection)
    await run(queries.__enter__)
    try:

        def batch() -> list[Item]:
            with transaction.atomic():
                return [Item.objects.create(name=f"r{n}", value=n) for n in range(3)]

        rows = await run(batch)
        for number, communicator in enumerate(sockets):
            assert [await communicator.receive_json_from() for _ in range(2)] == [
                reply("create", item(rows[1].pk, "r1", 1), request_id=number),
                reply("create", item(rows[2].pk, "r2", 2), request_id=number),
            ]
        await run(lambda: save(rows[1].pk, value=10))
        for number, communicator in enumerate(sockets):
            expected = reply("update", item(rows[1].pk, "r1", 10), request_id=number)
            assert await communicator.receive_json_from() == expected
    finally:
        await run(lambda: queries.__exit__(None, None, None))
    captured = await run(lambda: queries.captured_queries)  # read on the thread that ran them
    assert len(membership_queries(captured)) == 2, captured  # one per batch
    await asyncio.gather(*(communicator.disconnect() for communicator in sockets))


async def test_subscribers_of_different_cohorts_are_evaluated_apart():
    sockets = [await connect(ItemListConsumer) for _ in range(6)]
    for number, communicator in enumerate(sockets):
        await subscribe(communicator, request_id=number, min_value=number % 3)
    group = ItemListConsumer.handle_list_change.group_names_for_consumer(None)[0]
    assert sorted(len(members) for members in registry.cohorts(group).values()) == [2, 2, 2]
    queries = CaptureQueriesContext(connection)
    await run(queries.__enter__)
    try:
        row = await run(lambda: Item.objects.create(name="one", value=1))
        for number, communicator in enumerate(sockets):
            if number % 3 <= 1:
                expected = reply("create", item(row.pk, "one", 1), request_id=number)
                assert await communicator.receive_json_from() == expected
        await nothing_more(*(sockets[n] for n in range(6) if n % 3 == 2))
    finally:
        await run(lambda: queries.__exit__(None, None, None))
    captured = await run(lambda: queries.captured_queries)
    assert len(membership_queries(captured)) == 3, captured
    for communicator in sockets:
        await communicator.disconnect()


async def test_a_streamed_list_snapshots_its_first_page():
    await run(lambda: [Item.objects.create(name=f"s{n}", value=n) for n in range(3)])
    communicator = await connect(StreamedItemList)
    snapshot = await subscribe(communicator, request_id=1, limit=2)
    page = {"count": 3, "results": [item(1, "s0", 0), item(2, "s1", 1)], "limit": 2, "offset": 0}
    assert snapshot == reply("subscribe_list", page, request_id=1)
    await run(lambda: save(3, value=30))
    assert await communicator.receive_json_from() == reply("update", item(3, "s2", 30), request_id=1)
    await communicator.disconnect()


# -- changes committed while the snapshot is read ------------------------------------------------


class WritesAroundItsRead:
    """A ``list`` during which another writer commits: ``brief`` is created just before the rows
    are read, deleted just after they were serialized (run in the list's own thread, the commits
    are as real as another process's)."""

    def around(self, read: Any) -> Any:
        brief = Item.objects.create(name="brief", value=1)
        try:
            return read()
        finally:
            brief.delete()


class WritingItemList(WritesAroundItsRead, ItemListConsumer):
    def list(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.around(lambda: ItemListConsumer.list.__wrapped__(self, **kwargs))


WritingItemList.list = action()(WritingItemList.list)  # type: ignore[method-assign]


class WritingPagedItemList(WritesAroundItsRead, PagedItemListConsumer):
    def list(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return self.around(lambda: PaginatedModelListMixin.list.__wrapped__(self, **kwargs))


WritingPagedItemList.list = action()(WritingPagedItemList.list)  # type: ignore[method-assign]


class ValuesItemList(ItemListConsumer):
    """A ``list`` that builds its rows without ``get_serializer``: the snapshot's rows are taken to
    be those matching before and after it."""

    @action()
    def list(self, **kwargs: Any) -> Any:
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)
        if not Item.objects.filter(name="late").exists():
            Item.objects.create(name="late", value=1)  # committed while the list is read
        return list(queryset.values("id", "name", "value")), 200


@pytest.mark.parametrize("consumer_class", [WritingItemList, WritingPagedItemList])
async def test_a_row_created_and_deleted_while_the_snapshot_is_read_gets_its_delete(consumer_class):
    """The snapshot shows ``brief`` (created before its read); the subscription knows it, so its
    deletion (committed before the reply) is sent after the reply."""
    await run(lambda: Item.objects.create(name="kept", value=1))
    communicator = await connect(consumer_class)
    snapshot = await subscribe(communicator, **({"limit": 5} if consumer_class is WritingPagedItemList else {}))
    rows = [item(1, "kept", 1), item(2, "brief", 1)]
    if consumer_class is WritingPagedItemList:
        assert snapshot["data"]["results"] == rows
    else:
        assert snapshot == reply("subscribe_list", rows, request_id=1)
    assert await communicator.receive_json_from() == reply("delete", {"pk": 2}, status=204, request_id=1)
    await nothing_more(communicator)
    await communicator.disconnect()


async def test_a_list_without_get_serializer_knows_the_rows_matching_after_its_read():
    """``late``, committed while the list is read, is in the snapshot and known: its create event
    (committed before the reply) is a redundant ``update``, its deletion a ``delete``."""
    communicator = await connect(ValuesItemList)
    assert await subscribe(communicator) == reply("subscribe_list", [item(1, "late", 1)], request_id=1)
    assert await communicator.receive_json_from() == reply("update", item(1, "late", 1), request_id=1)
    await run(lambda: Item.objects.filter(name="late").get().delete())
    assert await communicator.receive_json_from() == reply("delete", {"pk": 1}, status=204, request_id=1)
    await nothing_more(communicator)
    await communicator.disconnect()
