"""``ModelObserver.get_observer_state(instance)``: the groups an instance's committed state is published to."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from tests.support.app.models import Board, Item
from tests.support.envelope import reply
from tests.support.observer_consumers import ItemInstanceConsumer, TeamBoardsConsumer

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def run(func):
    return func()


async def connected(consumer):
    """A communicator for a consumer *instance*, so the test can read the consumer's groups."""
    communicator = WebsocketCommunicator(consumer, "/ws/")
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_current_groups_after_an_instance_subscription():
    item = await run(lambda: Item.objects.create(name="a"))
    consumer = ItemInstanceConsumer()
    communicator = await connected(consumer)
    await communicator.send_json_to({"action": "subscribe_instance", "pk": item.pk, "request_id": 1})
    assert await communicator.receive_json_from() == reply("subscribe_instance", status=201, request_id=1)
    state = consumer.handle_instance_change.get_observer_state(item)
    assert len(consumer.groups) == 1
    assert state.current_groups == consumer.groups
    assert state.pending_messages == []
    await communicator.disconnect()


async def test_current_groups_follow_a_save_that_moves_the_instance_between_groups():
    team_1, team_2 = TeamBoardsConsumer(), TeamBoardsConsumer()
    communicators = [await connected(team_1), await connected(team_2)]
    for communicator, team in zip(communicators, (1, 2)):
        await communicator.send_json_to({"action": "watch", "team": team, "request_id": team})
        assert await communicator.receive_json_from() == reply("watch", status=201, request_id=team)
    observer = TeamBoardsConsumer.board_activity
    everyone = set(observer.group_names_for_consumer(team_1))  # the "all" group
    board = await run(lambda: Board.objects.create(name="b", team=1))
    assert team_1.board_activity.get_observer_state(board).current_groups == team_1.groups | everyone

    def move() -> None:
        board.team = 2
        board.save()

    await run(move)
    assert observer.get_observer_state(board).current_groups == team_2.groups | everyone
    for communicator in communicators:
        await communicator.disconnect()


async def test_current_groups_change_when_the_transaction_commits():
    board = await run(lambda: Board.objects.create(name="b", team=1))
    observer = TeamBoardsConsumer.board_activity
    before = set(observer.get_observer_state(board).current_groups)

    def move_and_look() -> set[str]:
        with transaction.atomic():
            board.team = 2
            board.save()
            return set(observer.get_observer_state(board).current_groups)

    assert await run(move_and_look) == before  # not committed yet
    after = observer.get_observer_state(board).current_groups
    assert after != before
    assert after == set(observer.group_names_for_signal(instance=board))


async def test_current_groups_of_a_deleted_or_unsaved_instance_are_empty():
    observer = TeamBoardsConsumer.board_activity
    assert observer.get_observer_state(Board(name="new", team=1)).current_groups == set()
    board = await run(lambda: Board.objects.create(name="b", team=1))
    assert observer.get_observer_state(board).current_groups
    await run(board.delete)
    assert observer.get_observer_state(board).current_groups == set()
