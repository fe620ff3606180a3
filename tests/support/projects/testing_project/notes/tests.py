import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.test import TransactionTestCase
from mysite.asgi import application

from djangochannelsrestframework.testing import HandshakeRefused, WebsocketClient

from .consumers import NoteConsumer
from .models import Note

# Actions run in worker threads and events are sent on commit: use transactional tests.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def alice():
    return await sync_to_async(User.objects.create_user)("alice")


async def test_create_then_list(alice):
    async with WebsocketClient(NoteConsumer, user=alice) as client:
        created = await client.call("create", data={"text": "buy milk"})
        assert created.status == 201
        assert created.data == {"id": created.data["id"], "text": "buy milk", "done": False}

        listed = await client.call("list")
        assert listed == {
            "errors": [],
            "data": [created.data],
            "action": "list",
            "response_status": 200,
            "request_id": listed.request_id,
        }


async def test_anonymous_users_are_refused():
    async with WebsocketClient(NoteConsumer) as client:
        reply = await client.call("list")
        assert reply.status == 403
        assert reply.errors == ["You do not have permission to perform this action."]


async def test_a_missing_note_is_a_404(alice):
    async with WebsocketClient(NoteConsumer, user=alice) as client:
        reply = await client.call("mark_done", pk=999)
        assert (reply.status, reply.errors) == (404, ["Not found"])


async def test_live_updates(alice):
    note = await sync_to_async(Note.objects.create)(owner=alice, text="call mum")
    async with WebsocketClient(NoteConsumer, user=alice) as client:
        subscription = await client.call("subscribe_instance", pk=note.pk)
        assert subscription.status == 201

        done = await client.call("mark_done", pk=note.pk)
        update = await client.event(action="update", request_id=subscription.request_id)
        assert update.data == done.data == {"id": note.pk, "text": "call mum", "done": True}
        await client.assert_nothing_pending()


async def test_through_the_whole_application(alice):
    async with WebsocketClient(application, "/ws/notes/", headers={"origin": "http://localhost"}, user=alice) as client:
        assert (await client.call("list")).data == []


async def test_other_origins_are_refused(alice):
    client = WebsocketClient(application, "/ws/notes/", headers={"origin": "http://evil.example"}, user=alice)
    with pytest.raises(HandshakeRefused):
        await client.connect()


class NoteTests(TransactionTestCase):
    async def test_mark_done(self):
        bob = await sync_to_async(User.objects.create_user)("bob")
        note = await sync_to_async(Note.objects.create)(owner=bob, text="water plants")
        async with WebsocketClient(NoteConsumer, user=bob) as client:
            reply = await client.call("mark_done", pk=note.pk)
        self.assertEqual(reply.status, 200)
        self.assertEqual(reply.data, {"id": note.pk, "text": "water plants", "done": True})
