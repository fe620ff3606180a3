"""The project's own consumer tests, as a DCRF 1.3 user writes them (channels' WebsocketCommunicator)."""

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import TransactionTestCase
from mysite.asgi import application

from .consumers import TodoConsumer, TodoListConsumer
from .models import Todo, TodoList


def envelope(action, data, status, request_id, errors=None):
    return {"errors": errors or [], "data": data, "action": action, "response_status": status, "request_id": request_id}


class ConsumerTestCase(TransactionTestCase):
    def setUp(self):
        self.user = get_user_model().objects.create_user("ada", password="pw")
        self.todo_list = TodoList.objects.create(name="groceries", owner=self.user)

    async def connect(self, consumer, user=None):
        communicator = WebsocketCommunicator(consumer.as_asgi(), "/ws/")
        communicator.scope["user"] = user or self.user
        connected, _ = await communicator.connect()
        self.assertTrue(connected)
        return communicator


class HelloTests(ConsumerTestCase):
    async def test_hello_through_the_project_routing(self):
        communicator = WebsocketCommunicator(application, "/ws/hello/")
        connected, _ = await communicator.connect()
        self.assertTrue(connected)
        await communicator.send_json_to({"action": "hello", "name": "Ada", "request_id": 1})
        self.assertEqual(await communicator.receive_json_from(), envelope("hello", {"hello": "Ada"}, 200, 1))
        await communicator.disconnect()


class TodoCrudTests(ConsumerTestCase):
    async def test_anonymous_user_is_refused(self):
        from django.contrib.auth.models import AnonymousUser

        communicator = await self.connect(TodoConsumer, user=AnonymousUser())
        await communicator.send_json_to({"action": "list", "request_id": 1})
        self.assertEqual(
            await communicator.receive_json_from(),
            envelope("list", None, 403, 1, errors=["You do not have permission to perform this action."]),
        )
        await communicator.disconnect()

    async def test_create_list_retrieve_patch_delete(self):
        communicator = await self.connect(TodoConsumer)
        list_id = self.todo_list.pk

        await communicator.send_json_to(
            {"action": "create", "data": {"todo_list": list_id, "title": "milk"}, "request_id": 1}
        )
        created = await communicator.receive_json_from()
        todo_id = created["data"]["id"]
        milk = {"id": todo_id, "todo_list": list_id, "title": "milk", "done": False}
        self.assertEqual(created, envelope("create", milk, 201, 1))

        await communicator.send_json_to({"action": "list", "request_id": 2})
        self.assertEqual(await communicator.receive_json_from(), envelope("list", [milk], 200, 2))

        await communicator.send_json_to({"action": "retrieve", "pk": todo_id, "request_id": 3})
        self.assertEqual(await communicator.receive_json_from(), envelope("retrieve", milk, 200, 3))

        await communicator.send_json_to(
            {"action": "patch", "pk": todo_id, "data": {"title": "oat milk"}, "request_id": 4}
        )
        self.assertEqual(
            await communicator.receive_json_from(), envelope("patch", {**milk, "title": "oat milk"}, 200, 4)
        )

        await communicator.send_json_to({"action": "mark_done", "pk": todo_id, "request_id": 5})
        self.assertEqual(
            await communicator.receive_json_from(),
            envelope("mark_done", {**milk, "title": "oat milk", "done": True}, 200, 5),
        )

        await communicator.send_json_to({"action": "delete", "pk": todo_id, "request_id": 6})
        self.assertEqual(await communicator.receive_json_from(), envelope("delete", None, 204, 6))

        await communicator.send_json_to({"action": "retrieve", "pk": todo_id, "request_id": 7})
        self.assertEqual(
            await communicator.receive_json_from(), envelope("retrieve", None, 404, 7, errors=["Not found"])
        )
        await communicator.disconnect()

    async def test_invalid_create_names_the_field(self):
        communicator = await self.connect(TodoConsumer)
        await communicator.send_json_to({"action": "create", "data": {"todo_list": self.todo_list.pk}, "request_id": 1})
        self.assertEqual(
            await communicator.receive_json_from(),
            envelope("create", None, 400, 1, errors=[{"title": ["This field is required."]}]),
        )
        await communicator.disconnect()

    async def test_unknown_action(self):
        communicator = await self.connect(TodoConsumer)
        await communicator.send_json_to({"action": "explode", "request_id": 1})
        self.assertEqual(
            await communicator.receive_json_from(),
            envelope("explode", None, 405, 1, errors=['Method "explode" not allowed.']),
        )
        await communicator.disconnect()


class TodoObserverTests(ConsumerTestCase):
    async def test_subscribers_of_a_list_see_its_changes(self):
        communicator = await self.connect(TodoConsumer)
        await communicator.send_json_to(
            {"action": "subscribe_to_list", "todo_list": self.todo_list.pk, "request_id": 8}
        )
        self.assertEqual(await communicator.receive_json_from(), envelope("subscribe_to_list", {}, 201, 8))

        todo = await database_sync_to_async(Todo.objects.create)(todo_list=self.todo_list, title="bread")
        data = {"id": todo.pk, "todo_list": self.todo_list.pk, "title": "bread", "done": False}
        self.assertEqual(await communicator.receive_json_from(), envelope("create", data, 200, 8))

        todo.done = True
        await database_sync_to_async(todo.save)()
        self.assertEqual(await communicator.receive_json_from(), envelope("update", {**data, "done": True}, 200, 8))

        other_user = await database_sync_to_async(get_user_model().objects.create_user)("bob", password="pw")
        other_list = await database_sync_to_async(TodoList.objects.create)(name="tools", owner=other_user)
        await database_sync_to_async(Todo.objects.create)(todo_list=other_list, title="hammer")
        self.assertTrue(await communicator.receive_nothing())
        await communicator.disconnect()

    async def test_someone_elses_list_is_refused(self):
        other_user = await database_sync_to_async(get_user_model().objects.create_user)("bob", password="pw")
        other_list = await database_sync_to_async(TodoList.objects.create)(name="tools", owner=other_user)
        communicator = await self.connect(TodoConsumer)
        await communicator.send_json_to({"action": "subscribe_to_list", "todo_list": other_list.pk, "request_id": 2})
        self.assertEqual(
            await communicator.receive_json_from(), envelope("subscribe_to_list", {"detail": "Not yours."}, 403, 2)
        )
        await communicator.disconnect()


class TodoListInstanceTests(ConsumerTestCase):
    async def test_subscribe_instance_sees_update_then_delete(self):
        communicator = await self.connect(TodoListConsumer)
        list_id = self.todo_list.pk
        await communicator.send_json_to({"action": "subscribe_instance", "pk": list_id, "request_id": 4})
        self.assertEqual(await communicator.receive_json_from(), envelope("subscribe_instance", None, 201, 4))

        self.todo_list.name = "weekly groceries"
        await database_sync_to_async(self.todo_list.save)()
        self.assertEqual(
            await communicator.receive_json_from(),
            envelope("update", {"id": list_id, "name": "weekly groceries"}, 200, 4),
        )

        await database_sync_to_async(self.todo_list.delete)()
        self.assertEqual(await communicator.receive_json_from(), envelope("delete", {"pk": list_id}, 204, 4))
        self.assertTrue(await communicator.receive_nothing())
        await communicator.disconnect()

    async def test_retrieve_and_unsubscribe(self):
        communicator = await self.connect(TodoListConsumer)
        list_id = self.todo_list.pk
        await communicator.send_json_to({"action": "retrieve", "pk": list_id, "request_id": 1})
        self.assertEqual(
            await communicator.receive_json_from(), envelope("retrieve", {"id": list_id, "name": "groceries"}, 200, 1)
        )
        await communicator.send_json_to({"action": "subscribe_instance", "pk": list_id, "request_id": 2})
        self.assertEqual(await communicator.receive_json_from(), envelope("subscribe_instance", None, 201, 2))
        await communicator.send_json_to({"action": "unsubscribe_instance", "pk": list_id, "request_id": 2})
        self.assertEqual(await communicator.receive_json_from(), envelope("unsubscribe_instance", None, 204, 2))
        self.todo_list.name = "unseen"
        await database_sync_to_async(self.todo_list.save)()
        self.assertTrue(await communicator.receive_nothing())
        await communicator.disconnect()
