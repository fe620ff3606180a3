"""django-rest-live 0.2 API (``@subscribable`` + ``SubscriptionConsumer``): the seed's examples
(docs/examples/todolist) run as written, on the live-list engine."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser, User

from djangochannelsrestframework.contrib.rest_live import CREATED, DELETED, UPDATED
from djangochannelsrestframework.contrib.rest_live.consumers import SubscriptionConsumer
from djangochannelsrestframework.contrib.rest_live.decorators import clear_registrations
from djangochannelsrestframework.contrib.rest_live.testing import APICommunicator, get_headers_for_user
from docs.examples.todolist import routing
from tests.support.todolist.models import List, Task

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


@database_sync_to_async
def run(func: Any) -> Any:
    return func()


@pytest.fixture(autouse=True)
def no_registrations() -> Any:
    clear_registrations()
    yield
    clear_registrations()


def use(name: str) -> ModuleType:
    """Run one of the seed's ``serializers.py`` variants (its decorators register again)."""
    module = importlib.import_module(f"docs.examples.todolist.{name}")
    clear_registrations()  # a first import registered already
    return importlib.reload(module)


async def connect(**scope: Any) -> APICommunicator:
    communicator = APICommunicator(SubscriptionConsumer.as_asgi(), "/ws/subscribe/", **scope)
    assert await communicator.connect() == (True, None)
    return communicator


async def send(communicator: Any, message: dict[str, Any]) -> None:
    await communicator.send_json_to(message)
    assert await communicator.receive_nothing(timeout=0.05)  # subscribing has no reply


def update(action: str, instance: dict[str, Any], group_key_value: Any) -> dict[str, Any]:
    return {"model": "todolist.Task", "instance": instance, "action": action, "group_key_value": group_key_value}


def task(task: Task, **changes: Any) -> dict[str, Any]:
    return {"id": task.pk, "text": task.text, "done": task.done, **changes}


def make(todo_list: List, text: str = "test") -> Task:
    return Task.objects.create(list=todo_list, text=text)


def move(pk: int, todo_list: List) -> None:
    row = Task.objects.get(pk=pk)
    row.list = todo_list
    row.save()


def finish(pk: int) -> None:
    row = Task.objects.get(pk=pk)
    row.done = True
    row.save()


async def test_subscribing_to_one_task_by_its_id():
    use("subscribe_by_pk")
    todo_list = await run(lambda: List.objects.create(name="chores"))
    first, second = await run(lambda: [make(todo_list), make(todo_list, "other")])
    communicator = await connect()
    await send(communicator, {"model": "todolist.Task", "property": "id", "value": first.pk})
    await run(lambda: finish(second.pk))
    await run(lambda: finish(first.pk))
    assert await communicator.receive_json_from() == update(UPDATED, task(first, done=True), first.pk)
    await run(lambda: Task.objects.get(pk=first.pk).delete())
    assert await communicator.receive_json_from() == update(DELETED, task(first, done=True), first.pk)
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.disconnect()


async def test_subscribing_to_a_list_of_tasks_by_group_key():
    use("subscribe_by_list")
    chores, errands = await run(lambda: [List.objects.create(name=n) for n in ("chores", "errands")])
    communicator = await connect()
    await send(communicator, {"model": "todolist.Task", "property": "list_id", "value": chores.pk})
    new = await run(lambda: make(chores))
    assert await communicator.receive_json_from() == update(CREATED, task(new), chores.pk)
    await run(lambda: make(errands))
    await run(lambda: finish(new.pk))
    assert await communicator.receive_json_from() == update(UPDATED, task(new, done=True), chores.pk)
    await run(lambda: move(new.pk, errands))  # leaves the group: the row as last sent
    assert await communicator.receive_json_from() == update(DELETED, task(new, done=True), chores.pk)
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.disconnect()


async def test_stacked_decorators_send_one_message_per_matching_subscription():
    use("subscribe_stacked")
    chores = await run(lambda: List.objects.create(name="chores"))
    existing = await run(lambda: make(chores))
    communicator = await connect()
    await send(communicator, {"model": "todolist.Task", "property": "list_id", "value": chores.pk})
    await send(communicator, {"model": "todolist.Task", "property": "pk", "value": existing.pk})
    await run(lambda: finish(existing.pk))
    frames = [await communicator.receive_json_from() for _ in range(2)]
    assert frames == [update(UPDATED, task(existing, done=True), value) for value in (chores.pk, existing.pk)]
    new = await run(lambda: make(chores))
    assert await communicator.receive_json_from() == update(CREATED, task(new), chores.pk)  # by list only
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.disconnect()


async def test_subscriptions_stack_and_unsubscribe_one_at_a_time():
    use("subscribe_by_list")
    chores = await run(lambda: List.objects.create(name="chores"))
    communicator = await connect()
    message = {"model": "todolist.Task", "property": "list_id", "value": chores.pk}
    await send(communicator, message)
    await send(communicator, message)
    first = await run(lambda: make(chores))
    assert await communicator.receive_json_from() == update(CREATED, task(first), chores.pk)
    assert await communicator.receive_nothing(timeout=0.1)
    await send(communicator, {**message, "unsubscribe": True})
    second = await run(lambda: make(chores))
    assert await communicator.receive_json_from() == update(CREATED, task(second), chores.pk)
    await send(communicator, {**message, "unsubscribe": True})
    await run(lambda: make(chores))
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_check_permission_keeps_anonymous_users_out():
    use("subscribe_permissions")
    user = await run(lambda: User.objects.create_user("ann"))
    chores = await run(lambda: List.objects.create(name="chores"))
    anonymous = await connect(user=AnonymousUser())
    logged_in = await connect(user=user)
    for communicator in (anonymous, logged_in):
        await send(communicator, {"model": "todolist.Task", "property": "list_id", "value": chores.pk})
    new = await run(lambda: make(chores))
    assert await logged_in.receive_json_from() == update(CREATED, task(new), chores.pk)
    assert await anonymous.receive_nothing(timeout=0.1)
    await anonymous.disconnect()
    await logged_in.disconnect()


async def test_the_conditional_serializer_pattern_sends_each_user_one_serializer():
    use("subscribe_conditional")
    user = await run(lambda: User.objects.create_user("ann"))
    chores = await run(lambda: List.objects.create(name="chores"))
    anonymous = await connect(user=AnonymousUser())
    logged_in = await connect(user=user)
    for communicator in (anonymous, logged_in):
        await send(communicator, {"model": "todolist.Task", "property": "list_id", "value": chores.pk})
    new = await run(lambda: make(chores))
    assert await anonymous.receive_json_from() == update(CREATED, {"id": new.pk, "text": "test"}, chores.pk)
    assert await logged_in.receive_json_from() == update(CREATED, task(new), chores.pk)
    assert await anonymous.receive_nothing(timeout=0.1)
    assert await logged_in.receive_nothing(timeout=0.1)
    await anonymous.disconnect()
    await logged_in.disconnect()


async def test_the_seeds_routing_with_auth_middleware():
    use("subscribe_permissions")
    user = await run(lambda: User.objects.create_user("ann"))
    chores = await run(lambda: List.objects.create(name="chores"))
    headers = await get_headers_for_user(user)
    communicator = APICommunicator(routing.application, "/ws/subscribe/", headers)
    assert await communicator.connect() == (True, None)
    await send(communicator, {"model": "todolist.Task", "property": "list_id", "value": chores.pk})
    new = await run(lambda: make(chores))
    assert await communicator.receive_json_from() == update(CREATED, task(new), chores.pk)
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"property": "id", "value": 1}, {"type": "error", "id": None, "code": 400, "message": "No model specified."}),
        (
            {"model": "todolist.Task", "property": "id"},
            {"type": "error", "id": None, "code": 400, "message": "`property` and `value` must be present."},
        ),
        (
            {"model": "todolist.Task", "property": "text", "value": "x"},
            {
                "type": "error",
                "id": None,
                "code": 404,
                "message": "Model todolist.Task has no subscribable serializer for `text`.",
            },
        ),
        (
            {"model": "todolist.Task", "property": "list_id", "value": 1, "unsubscribe": True},
            {"type": "error", "id": None, "code": 404, "message": "Not subscribed to todolist.Task with list_id=1."},
        ),
        (
            {"model": "todolist.Task", "property": "list_id", "value": "nope"},
            {
                "type": "error",
                "id": None,
                "code": 400,
                "message": "Cannot filter todolist.Task by list_id='nope'.",
            },
        ),
    ],
)
async def test_bad_subscriptions_get_an_error(message: dict[str, Any], expected: dict[str, Any]):
    use("subscribe_by_list")
    communicator = await connect()
    await communicator.send_json_to(message)
    assert await communicator.receive_json_from() == expected
    await communicator.disconnect()
