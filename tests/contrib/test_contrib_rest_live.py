"""django-rest-live 0.7 API (``RealtimeMixin`` + ``RealtimeRouter``) on the live-list engine: its
messages and error codes, evaluated per subscriber's view, after commit, once per cohort."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework import generics, serializers, views, viewsets

from djangochannelsrestframework._engine.fanout import registry
from djangochannelsrestframework.contrib.rest_live import CREATED, DELETED, UPDATED
from djangochannelsrestframework.contrib.rest_live.engine import observer_for
from djangochannelsrestframework.contrib.rest_live.mixins import RealtimeConfigurationError, RealtimeMixin
from djangochannelsrestframework.contrib.rest_live.routers import RealtimeRouter
from djangochannelsrestframework.contrib.rest_live.testing import APICommunicator, get_headers_for_user
from tests.support.app.models import Board, Comment, Item
from tests.support.rest_live_views import ItemSerializer, ItemViewSet, PrivateConsumer, PublicConsumer

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)

#: The channel-layer group every rest-live subscription to items listens to.
ITEM_GROUP = observer_for(Item).group_names_for_consumer(None)[0]


@database_sync_to_async
def run(func: Any) -> Any:
    return func()


async def connect(consumer: Any, **scope: Any) -> APICommunicator:
    communicator = APICommunicator(consumer.as_asgi(), "/ws/subscribe/", **scope)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def broadcast(request_id: Any, model: str, action: str, instance: Any) -> dict[str, Any]:
    return {"type": "broadcast", "id": request_id, "model": model, "action": action, "instance": instance}


def error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"type": "error", "id": request_id, "code": code, "message": message}


def item(pk: int, name: str, value: int) -> dict[str, Any]:
    return {"id": pk, "name": name, "value": value}


async def subscribe(communicator: Any, request_id: Any = 1, **fields: Any) -> None:
    message = {"type": "subscribe", "id": request_id, "model": "app.Item", "action": "list", **fields}
    await communicator.send_json_to(message)
    assert await communicator.receive_nothing(timeout=0.05)  # a subscription has no reply


def save(pk: int, **fields: Any) -> None:
    row = Item.objects.get(pk=pk)
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()


# -- list and retrieve -----------------------------------------------------------------------------


async def test_a_list_subscription_gets_created_updated_and_deleted():
    communicator = await connect(PublicConsumer)
    await subscribe(communicator, request_id=7)
    row = await run(lambda: Item.objects.create(name="apple", value=1))
    assert await communicator.receive_json_from() == broadcast(7, "app.Item", CREATED, item(row.pk, "apple", 1))
    await run(lambda: save(row.pk, value=2))
    assert await communicator.receive_json_from() == broadcast(7, "app.Item", UPDATED, item(row.pk, "apple", 2))
    await run(lambda: Item.objects.filter(pk=row.pk).get().delete())
    assert await communicator.receive_json_from() == broadcast(7, "app.Item", DELETED, {"pk": row.pk, "id": row.pk})
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.disconnect()


async def test_a_retrieve_subscription_gets_only_its_instance():
    apple, pear = await run(lambda: [Item.objects.create(name=n, value=1) for n in ("apple", "pear")])
    communicator = await connect(PublicConsumer)
    await subscribe(communicator, request_id="a", action="retrieve", lookup_by=apple.pk)
    await run(lambda: save(pear.pk, value=5))
    await run(lambda: save(apple.pk, value=6))
    assert await communicator.receive_json_from() == broadcast("a", "app.Item", UPDATED, item(apple.pk, "apple", 6))
    await run(lambda: Item.objects.create(name="plum", value=1))
    await run(lambda: Item.objects.get(pk=apple.pk).delete())
    expected = broadcast("a", "app.Item", DELETED, {"pk": apple.pk, "id": apple.pk})
    assert await communicator.receive_json_from() == expected
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.disconnect()


async def test_unsubscribe_stops_broadcasts_and_repeated_ids_stack():
    communicator = await connect(PublicConsumer)
    await subscribe(communicator, request_id=1)
    await subscribe(communicator, request_id=1)
    await subscribe(communicator, request_id=2)
    row = await run(lambda: Item.objects.create(name="apple", value=1))
    frames = [await communicator.receive_json_from() for _ in range(3)]
    assert frames == [broadcast(i, "app.Item", CREATED, item(row.pk, "apple", 1)) for i in (1, 1, 2)]
    await communicator.send_json_to({"type": "unsubscribe", "id": 1})
    await run(lambda: save(row.pk, value=3))
    assert await communicator.receive_json_from() == broadcast(2, "app.Item", UPDATED, item(row.pk, "apple", 3))
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.send_json_to({"type": "unsubscribe", "id": 2})
    await run(lambda: save(row.pk, value=4))
    assert await communicator.receive_nothing(timeout=0.2)
    assert registry.cohorts(ITEM_GROUP) == {}
    await communicator.disconnect()


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"type": "subscribe", "id": 1, "action": "list"}, error(1, 400, "No model specified.")),
        (
            {"type": "subscribe", "id": 2, "model": "app.Nothing", "action": "list"},
            error(2, 404, "Model app.Nothing not registered for realtime updates."),
        ),
        (
            {"type": "subscribe", "id": 3, "model": "app.Item", "action": "create"},
            error(3, 400, "`action` must be present and the value must be either `list` or `retrieve`."),
        ),
        (
            {"type": "subscribe", "id": 4, "model": "app.Item"},
            error(4, 400, "`action` must be present and the value must be either `list` or `retrieve`."),
        ),
        (
            {"type": "subscribe", "id": 5, "model": "app.Item", "action": "retrieve", "lookup_by": 99},
            error(5, 404, "Instance not found. Make sure 'lookup_by' is set to a valid ID"),
        ),
        (
            {"type": "subscribe", "id": 6, "model": "app.Item", "action": "retrieve", "lookup_by": "x"},
            error(6, 404, "Instance not found. Make sure 'lookup_by' is set to a valid ID"),
        ),
        (
            {"type": "subscribe", "id": 7, "model": "app.Board", "action": "list", "view_kwargs": {"team": 1}},
            error(7, 403, "Unauthorized to subscribe to app.Board for action list"),
        ),
        (
            {"type": "subscribe", "id": 8, "model": "app.Item", "action": "list", "view_kwargs": [1]},
            error(8, 400, "`view_kwargs` must be an object."),
        ),
        (
            {"type": "subscribe", "id": 9, "model": "app.Item", "action": "list", "query_params": "a=1"},
            error(9, 400, "`query_params` must be an object."),
        ),
        (
            {"type": "unsubscribe", "id": 10},
            error(10, 404, "Attempted to unsubscribe for request ID before subscribing."),
        ),
        ({"type": "publish", "id": 11}, error(11, 400, "unknown message type `publish`.")),
        ({"type": "subscribe", "model": "app.Item", "action": "list"}, error(None, 400, "No `id` specified.")),
        ([1, 2], error(None, 400, "Message must be a JSON object.")),
    ],
)
async def test_bad_requests_get_an_error_and_the_socket_stays_open(message: Any, expected: dict[str, Any]):
    communicator = await connect(PublicConsumer)
    await communicator.send_json_to(message)
    assert await communicator.receive_json_from() == expected
    await subscribe(communicator, request_id="still-open")
    row = await run(lambda: Item.objects.create(name="kiwi", value=1))
    assert await communicator.receive_json_from() == broadcast(
        "still-open", "app.Item", CREATED, item(row.pk, "kiwi", 1)
    )
    await communicator.disconnect()


async def test_malformed_json_gets_an_error():
    communicator = await connect(PublicConsumer)
    await communicator.send_to(text_data="{nope")
    assert await communicator.receive_json_from() == error(None, 400, "Malformed JSON.")
    await communicator.send_to(bytes_data=b"{}")
    expected = error(None, 400, "Binary frames are not supported; send JSON as a text frame.")
    assert await communicator.receive_json_from() == expected
    await communicator.disconnect()


async def test_a_retrieve_denied_by_an_object_permission_is_403():
    user = await run(lambda: User.objects.create_user("ann"))
    board = await run(lambda: Board.objects.create(name="b", team=user.pk + 1))
    communicator = await connect(PublicConsumer, user=user)
    message = {"type": "subscribe", "id": 1, "model": "app.Board", "action": "retrieve", "lookup_by": board.pk}
    await communicator.send_json_to({**message, "view_kwargs": {"team": board.team}})
    assert await communicator.receive_json_from() == error(
        1, 403, "Unauthorized to subscribe to app.Board for action retrieve"
    )
    await communicator.disconnect()


# -- private routers -------------------------------------------------------------------------------


async def test_a_private_router_closes_anonymous_connections_with_4003():
    for scope in ({"user": AnonymousUser()}, {}):  # anonymous, and no auth middleware at all
        communicator = APICommunicator(PrivateConsumer.as_asgi(), "/ws/subscribe/", **scope)
        assert await communicator.connect() == (False, 4003)


async def test_a_private_router_accepts_a_logged_in_user_through_auth_middleware():
    user = await run(lambda: User.objects.create_user("ann"))
    headers = await get_headers_for_user(user)
    communicator = APICommunicator(AuthMiddlewareStack(PrivateConsumer.as_asgi()), "/ws/subscribe/", headers)
    assert await communicator.connect() == (True, None)
    row = await run(lambda: Item.objects.create(name="apple", value=4))
    await subscribe(communicator, request_id=1, action="retrieve", lookup_by="apple")
    await run(lambda: save(row.pk, value=5))
    expected = broadcast(1, "app.Item", UPDATED, {"name": "apple", "double": 10})
    assert await communicator.receive_json_from() == expected
    await communicator.disconnect()


async def test_each_router_serves_its_own_views():
    user = await run(lambda: User.objects.create_user("ann"))
    public = await connect(PublicConsumer)
    private = await connect(PrivateConsumer, user=user)
    row = await run(lambda: Item.objects.create(name="apple", value=1))
    await subscribe(public, request_id="p", action="retrieve", lookup_by=row.pk)
    await subscribe(private, request_id="q", action="retrieve", lookup_by="apple")
    await run(lambda: save(row.pk, value=2))
    assert await public.receive_json_from() == broadcast("p", "app.Item", UPDATED, item(row.pk, "apple", 2))
    assert await private.receive_json_from() == broadcast("q", "app.Item", UPDATED, {"name": "apple", "double": 4})
    await public.disconnect()
    await private.disconnect()


# -- the subscriber's view -------------------------------------------------------------------------


async def test_conditional_serializers_follow_get_serializer_class_and_its_context():
    staff = await run(lambda: User.objects.create_user("boss", is_staff=True))
    anonymous = await connect(PublicConsumer, user=AnonymousUser())
    boss = await connect(PublicConsumer, user=staff)
    await subscribe(anonymous)
    await subscribe(boss)
    row = await run(lambda: Item.objects.create(name="apple", value=1))
    assert await anonymous.receive_json_from() == broadcast(1, "app.Item", CREATED, item(row.pk, "apple", 1))
    expected = broadcast(1, "app.Item", CREATED, {**item(row.pk, "apple", 1), "seen_by": "boss"})
    assert await boss.receive_json_from() == expected
    await anonymous.disconnect()
    await boss.disconnect()


async def test_query_params_filter_and_rows_enter_and_leave_the_filter():
    apple, banana = await run(lambda: [Item.objects.create(name=n, value=1) for n in ("apple", "banana")])
    communicator = await connect(PublicConsumer)
    await subscribe(communicator, query_params={"search": "an"})
    await run(lambda: save(apple.pk, value=2))  # never matched
    await run(lambda: save(banana.pk, value=3))
    assert await communicator.receive_json_from() == broadcast(1, "app.Item", UPDATED, item(banana.pk, "banana", 3))
    await run(lambda: save(apple.pk, name="mango"))  # enters
    assert await communicator.receive_json_from() == broadcast(1, "app.Item", CREATED, item(apple.pk, "mango", 2))
    await run(lambda: save(banana.pk, name="kiwi"))  # leaves
    expected = broadcast(1, "app.Item", DELETED, {"pk": banana.pk, "id": banana.pk})
    assert await communicator.receive_json_from() == expected
    await run(lambda: save(banana.pk, value=9))  # stays out
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.disconnect()


async def test_view_kwargs_reach_get_queryset_and_permissions():
    user = await run(lambda: User.objects.create_user("ann"))
    communicator = await connect(PublicConsumer, user=user)
    message = {"type": "subscribe", "id": 1, "model": "app.Board", "action": "list", "view_kwargs": {"team": user.pk}}
    await communicator.send_json_to(message)
    assert await communicator.receive_nothing(timeout=0.05)
    ours = await run(lambda: Board.objects.create(name="ours", team=user.pk))
    await run(lambda: Board.objects.create(name="theirs", team=user.pk + 1))
    expected = broadcast(1, "app.Board", CREATED, {"id": ours.pk, "name": "ours", "team": user.pk})
    assert await communicator.receive_json_from() == expected
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.disconnect()


async def test_get_queryset_reads_the_subscribers_user():
    ann, bob = await run(lambda: [User.objects.create_user(n) for n in ("ann", "bob")])
    sockets = [await connect(PublicConsumer, user=u) for u in (ann, bob)]
    for communicator in sockets:
        await communicator.send_json_to({"type": "subscribe", "id": 1, "model": "app.Comment", "action": "list"})
        assert await communicator.receive_nothing(timeout=0.05)
    comment = await run(lambda: Comment.objects.create(text="hi", user=bob))
    assert await sockets[1].receive_json_from() == broadcast(
        1, "app.Comment", CREATED, {"id": comment.pk, "text": "hi"}
    )
    assert await sockets[0].receive_nothing(timeout=0.1)
    for communicator in sockets:
        await communicator.disconnect()


async def test_annotations_and_a_lookup_field_other_than_pk():
    user = await run(lambda: User.objects.create_user("ann"))
    row = await run(lambda: Item.objects.create(name="apple", value=4))
    communicator = await connect(PrivateConsumer, user=user)
    await subscribe(communicator, request_id=1, action="retrieve", lookup_by="apple")
    await run(lambda: save(row.pk, value=5))
    assert await communicator.receive_json_from() == broadcast(1, "app.Item", UPDATED, {"name": "apple", "double": 10})
    await run(lambda: save(row.pk, name="pear"))  # the subscription follows its instance
    assert await communicator.receive_json_from() == broadcast(1, "app.Item", UPDATED, {"name": "pear", "double": 10})
    await run(lambda: Item.objects.get(pk=row.pk).delete())
    expected = broadcast(1, "app.Item", DELETED, {"name": "pear", "id": row.pk})
    assert await communicator.receive_json_from() == expected
    await communicator.disconnect()


# -- when and how often ----------------------------------------------------------------------------


async def test_broadcasts_wait_for_the_commit_and_a_rollback_sends_nothing():
    communicator = await connect(PublicConsumer)
    await subscribe(communicator)

    def rolled_back() -> None:
        with transaction.atomic():
            Item.objects.create(name="ghost", value=1)
            transaction.set_rollback(True)

    await run(rolled_back)
    assert await communicator.receive_nothing(timeout=0.2)

    def twice() -> Item:
        with transaction.atomic():
            row = Item.objects.create(name="apple", value=1)
            row.value = 2
            row.save()
            return row

    row = await run(twice)
    assert await communicator.receive_json_from() == broadcast(1, "app.Item", CREATED, item(row.pk, "apple", 2))
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.disconnect()


def membership_queries(captured: list[dict[str, Any]]) -> list[str]:
    table = Item._meta.db_table
    return [q["sql"] for q in captured if q["sql"].startswith("SELECT") and f'"{table}"."id" IN' in q["sql"]]


async def test_subscribers_sharing_a_cohort_cost_one_query_per_change():
    sockets = [await connect(PublicConsumer, user=AnonymousUser()) for _ in range(50)]
    for number, communicator in enumerate(sockets):
        await subscribe(communicator, request_id=number, query_params={"search": "a"})
    assert [len(members) for members in registry.cohorts(ITEM_GROUP).values()] == [50]
    queries = CaptureQueriesContext(connection)
    await run(queries.__enter__)
    try:
        row = await run(lambda: Item.objects.create(name="apple", value=1))
        for number, communicator in enumerate(sockets):
            assert await communicator.receive_json_from() == broadcast(
                number, "app.Item", CREATED, item(row.pk, "apple", 1)
            )
    finally:
        await run(lambda: queries.__exit__(None, None, None))
    captured = await run(lambda: queries.captured_queries)
    assert len(membership_queries(captured)) == 1, captured
    await asyncio.gather(*(communicator.disconnect() for communicator in sockets))


# -- setup errors ----------------------------------------------------------------------------------


def test_a_view_without_the_mixin_is_refused():
    class Plain(generics.ListAPIView):  # type: ignore[type-arg]
        queryset = Item.objects.all()
        serializer_class = ItemSerializer

    with pytest.raises(RuntimeError, match="Plain passed to RealtimeRouter does not have RealtimeMixin applied"):
        RealtimeRouter().register(Plain)


def test_two_views_of_one_model_are_refused():
    class Other(generics.ListAPIView, RealtimeMixin):  # type: ignore[type-arg]
        queryset = Item.objects.all()
        serializer_class = ItemSerializer

    router = RealtimeRouter()
    router.register(ItemViewSet)
    with pytest.raises(RuntimeWarning, match="app.Item already has a realtime view in this router"):
        router.register(Other)


def test_a_view_that_is_not_a_generic_api_view_is_refused():
    class NotGeneric(views.APIView, RealtimeMixin):
        queryset = Item.objects.all()

    class NotAView(RealtimeMixin):
        queryset = Item.objects.all()

    for view in (NotGeneric, NotAView):
        with pytest.raises(RealtimeConfigurationError, match="is not a Django REST framework generic view"):
            RealtimeRouter().register(view)


def test_a_view_without_a_queryset_is_refused_with_an_assertion_error_as_before():
    class Dynamic(viewsets.ReadOnlyModelViewSet, RealtimeMixin):  # type: ignore[type-arg]
        serializer_class = ItemSerializer

        def get_queryset(self) -> Any:
            return Item.objects.all()

    with pytest.raises(AssertionError, match="Dynamic has no `queryset` attribute"):
        RealtimeRouter().register(Dynamic)


def test_the_router_consumer_is_a_subscription_consumer_with_the_routers_registry():
    router = RealtimeRouter(public=False)
    router.register(ItemViewSet)
    consumer = router.as_consumer()
    assert consumer.__name__ == "BoundSubscriptionConsumer"
    assert consumer.registry == {"app.Item": ItemViewSet}
    assert consumer.public is False


_unused = serializers  # the module is imported for the views above


async def test_a_failing_view_is_a_500_error_and_the_socket_stays_open():
    class Broken(generics.ListAPIView, RealtimeMixin):  # type: ignore[type-arg]
        queryset = Board.objects.none()
        serializer_class = ItemSerializer

        def get_queryset(self) -> Any:
            raise RuntimeError("boom")

    router = RealtimeRouter()
    router.register(Broken)
    communicator = await connect(router.as_consumer())
    await communicator.send_json_to({"type": "subscribe", "id": 1, "model": "app.Board", "action": "list"})
    assert await communicator.receive_json_from() == error(1, 500, "Server error.")
    await communicator.send_json_to({"type": "unsubscribe", "id": 1})
    expected = error(1, 404, "Attempted to unsubscribe for request ID before subscribing.")
    assert await communicator.receive_json_from() == expected
    await communicator.disconnect()


async def test_async_test_runs_the_async_set_up_and_tear_down_around_the_test():
    from djangochannelsrestframework.contrib.rest_live.testing import async_test

    calls: list[str] = []

    class Case:
        async def asyncSetUp(self) -> None:
            calls.append("set up")

        async def asyncTearDown(self) -> None:
            calls.append("tear down")

        @async_test
        async def test_it(self) -> str:
            calls.append("test")
            return "result"

    assert await Case().test_it() == "result"
    assert calls == ["set up", "test", "tear down"]
