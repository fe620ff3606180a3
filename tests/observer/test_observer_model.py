"""Model observers: events are sent once, after commit, with the net change of the transaction."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from djangochannelsrestframework.observer.base_observer import clean_group_name
from tests.support.app.models import Board, Item
from tests.support.envelope import connect
from tests.support.observer_consumers import ItemActivityConsumer, TeamBoardsConsumer

pytestmark = pytest.mark.django_db(transaction=True)


async def subscribed(request_id=1):
    communicator = await connect(ItemActivityConsumer)
    await communicator.send_json_to({"action": "subscribe", "request_id": request_id})
    assert await communicator.receive_json_from() == {
        "errors": [],
        "data": None,
        "action": "subscribe",
        "response_status": 201,
        "request_id": request_id,
    }
    return communicator


def event(action, data, request_id=1):
    return {"errors": [], "data": data, "action": action, "response_status": 200, "request_id": request_id}


@database_sync_to_async
def run(func):
    return func()


async def test_create_outside_a_transaction_is_sent_at_once():
    communicator = await subscribed()
    item = await run(lambda: Item.objects.create(name="a", value=1))
    assert await communicator.receive_json_from() == event("create", {"id": item.pk, "name": "a", "value": 1})
    await communicator.disconnect()


async def test_several_saves_in_one_transaction_send_one_event_with_the_final_state():
    communicator = await subscribed()
    item = await run(lambda: Item.objects.create(name="a"))
    await communicator.receive_json_from()

    def edit():
        with transaction.atomic():
            for value in range(1, 4):
                item.value = value
                item.save()

    await run(edit)
    assert await communicator.receive_json_from() == event("update", {"id": item.pk, "name": "a", "value": 3})
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_saves_of_different_objects_for_the_same_row_send_one_event():
    communicator = await subscribed()
    item = await run(lambda: Item.objects.create(name="a"))
    await communicator.receive_json_from()

    def edit():
        with transaction.atomic():
            first = Item.objects.get(pk=item.pk)
            first.value = 1
            first.save()
            second = Item.objects.get(pk=item.pk)
            second.name = "b"
            second.save()

    await run(edit)
    assert await communicator.receive_json_from() == event("update", {"id": item.pk, "name": "b", "value": 1})
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_create_then_update_in_one_transaction_is_one_create():
    communicator = await subscribed()

    def make():
        with transaction.atomic():
            item = Item.objects.create(name="a")
            item.value = 5
            item.save()
            return item

    item = await run(make)
    assert await communicator.receive_json_from() == event("create", {"id": item.pk, "name": "a", "value": 5})
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_create_then_delete_in_one_transaction_sends_nothing():
    communicator = await subscribed()

    def make_and_drop():
        with transaction.atomic():
            Item.objects.create(name="a").delete()

    await run(make_and_drop)
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_rolled_back_transaction_sends_nothing():
    communicator = await subscribed()

    def fail():
        with transaction.atomic():
            Item.objects.create(name="a")
            transaction.set_rollback(True)

    await run(fail)
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_rolled_back_savepoint_drops_only_its_own_changes():
    communicator = await subscribed()

    def work():
        with transaction.atomic():
            kept = Item.objects.create(name="kept")
            try:
                with transaction.atomic():
                    Item.objects.create(name="dropped")
                    kept.value = 99
                    kept.save()
                    raise ValueError
            except ValueError:
                pass
            after = Item.objects.create(name="after")
        return kept, after

    kept, after = await run(work)
    assert await communicator.receive_json_from() == event("create", {"id": kept.pk, "name": "kept", "value": 0})
    assert await communicator.receive_json_from() == event("create", {"id": after.pk, "name": "after", "value": 0})
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_rolled_back_savepoint_after_the_last_change_drops_it():
    communicator = await subscribed()
    item = await run(lambda: Item.objects.create(name="a"))
    await communicator.receive_json_from()

    def work():
        with transaction.atomic():
            item.value = 1
            item.save()
            sid = transaction.savepoint()
            with transaction.atomic():
                item.value = 2
                item.save()
                transaction.set_rollback(True)
            transaction.savepoint_commit(sid)

    await run(work)
    assert await communicator.receive_json_from() == event("update", {"id": item.pk, "name": "a", "value": 1})
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_delete_is_sent_with_the_deleted_pk():
    communicator = await subscribed()
    item = await run(lambda: Item.objects.create(name="a", value=2))
    await communicator.receive_json_from()
    pk = item.pk
    await run(item.delete)
    assert await communicator.receive_json_from() == event("delete", {"id": pk, "name": "a", "value": 2})
    await communicator.disconnect()


async def test_unsubscribe_by_request_id_stops_exactly_that_subscription():
    communicator = await subscribed(request_id=1)
    await communicator.send_json_to({"action": "subscribe", "request_id": 2})
    await communicator.receive_json_from()
    await communicator.send_json_to({"action": "unsubscribe", "request_id": 1})
    assert (await communicator.receive_json_from())["response_status"] == 204
    item = await run(lambda: Item.objects.create(name="a"))
    assert await communicator.receive_json_from() == event("create", {"id": item.pk, "name": "a", "value": 0}, 2)
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_unsubscribe_before_any_event_leaves_the_group():
    communicator = await connect(ItemActivityConsumer)
    await communicator.send_json_to({"action": "subscribe"})
    await communicator.receive_json_from()
    await communicator.send_json_to({"action": "unsubscribe"})
    await communicator.receive_json_from()
    await run(lambda: Item.objects.create(name="a"))
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_disconnect_leaves_every_group():
    from channels.layers import get_channel_layer

    communicator = await subscribed()
    await communicator.disconnect()
    layer = get_channel_layer()
    assert all(not channels for channels in layer.groups.values())


async def test_group_names_are_hashed_and_stable():
    group = ItemActivityConsumer.item_activity.group_names_for_signal(instance=Item(pk=1))
    stable = "*-ModelObserver-tests.support.observer_consumers.item_activity"
    assert group == [clean_group_name(f"{stable}-item.activity-model-app.item")]
    assert len(group[0]) == 69 and group[0].startswith("DCRF-")


async def test_channel_layer_message_shape():
    messages = ItemActivityConsumer.item_activity.generate_messages(Item(pk=3, name="x"), set(), {"G"})
    assert messages == [
        {"type": "item.activity", "body": {"id": 3, "name": "x", "value": 0}, "action": "create", "group": "G"}
    ]


async def test_group_move_sends_delete_update_and_create_per_group():
    team_1 = await connect(TeamBoardsConsumer)
    team_2 = await connect(TeamBoardsConsumer)
    everyone = await connect(TeamBoardsConsumer)
    for communicator, team in ((team_1, 1), (team_2, 2), (everyone, None)):
        await communicator.send_json_to({"action": "watch", "team": team})
        await communicator.receive_json_from()
    board = await run(lambda: Board.objects.create(name="b", team=1))
    assert await team_1.receive_json_from() == {"action": "create", "body": {"name": "b", "team": 1}}
    assert await everyone.receive_json_from() == {"action": "create", "body": {"name": "b", "team": 1}}

    def move():
        board.team = 2
        board.save()

    await run(move)
    assert await team_1.receive_json_from() == {"action": "delete", "body": {"name": "b", "team": 2}}
    assert await team_2.receive_json_from() == {"action": "create", "body": {"name": "b", "team": 2}}
    assert await everyone.receive_json_from() == {"action": "update", "body": {"name": "b", "team": 2}}
    for communicator in (team_1, team_2, everyone):
        assert await communicator.receive_nothing()
        await communicator.disconnect()


async def test_group_move_reads_old_groups_from_the_database_not_from_load_time():
    team_1 = await connect(TeamBoardsConsumer)
    await team_1.send_json_to({"action": "watch", "team": 1})
    await team_1.receive_json_from()
    board = await run(lambda: Board.objects.create(name="b", team=3))

    def move_elsewhere_then_in():
        Board.objects.filter(pk=board.pk).update(team=1)  # not observed: bulk update
        stale = Board.objects.get(pk=board.pk)
        stale.team = 2
        stale.save()

    await run(move_elsewhere_then_in)
    assert await team_1.receive_json_from() == {"action": "delete", "body": {"name": "b", "team": 2}}
    await team_1.disconnect()
