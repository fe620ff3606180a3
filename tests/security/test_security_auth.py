"""Authentication on connect (session cookie, query-string token, first-message token) and the
re-check of the user before every subscription event."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token

from djangochannelsrestframework.auth import TokenAuthMiddlewareStack
from tests.support.app.models import Item
from tests.support.envelope import connect, reply
from tests.support.security_consumers import (
    PermittedItemConsumer,
    SignedInItemConsumer,
    TokenWhoAmIConsumer,
    WhoAmIConsumer,
)

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def run(func):
    return func()


def make_user(name: str = "ada") -> User:
    return User.objects.create_user(username=name, password="pw")


def token_for(user: User) -> str:
    return Token.objects.create(user=user).key


async def whoami(communicator: WebsocketCommunicator) -> dict:
    await communicator.send_json_to({"action": "whoami", "request_id": 1})
    return await communicator.receive_json_from()


async def open_stack(path: str, headers=None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(TokenAuthMiddlewareStack(WhoAmIConsumer.as_asgi()), path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_query_string_token_sets_the_user():
    key = await run(lambda: token_for(make_user()))
    communicator = await open_stack(f"/ws/?token={key}")
    assert await whoami(communicator) == reply("whoami", {"username": "ada"}, request_id=1)
    await communicator.disconnect()


async def test_unknown_query_string_token_is_anonymous():
    await run(lambda: token_for(make_user()))
    communicator = await open_stack("/ws/?token=not-a-token")
    assert await whoami(communicator) == reply("whoami", {"username": None}, request_id=1)
    await communicator.disconnect()


async def test_token_of_an_inactive_user_is_anonymous():
    def inactive_token():
        user = make_user()
        user.is_active = False
        user.save()
        return token_for(user)

    key = await run(inactive_token)
    communicator = await open_stack(f"/ws/?token={key}")
    assert await whoami(communicator) == reply("whoami", {"username": None}, request_id=1)
    await communicator.disconnect()


async def test_session_cookie_sets_the_user_without_a_token():
    def session_of_user():
        user = make_user("grace")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        return session.session_key

    session_key = await run(session_of_user)
    communicator = await open_stack("/ws/", headers=[(b"cookie", f"sessionid={session_key}".encode())])
    assert await whoami(communicator) == reply("whoami", {"username": "grace"}, request_id=1)
    await communicator.disconnect()


async def test_first_message_token_authenticates_the_connection():
    user = await run(make_user)
    key = await run(lambda: token_for(user))
    communicator = await connect(TokenWhoAmIConsumer, user=AnonymousUser())
    assert await whoami(communicator) == reply(
        "whoami", errors=["You do not have permission to perform this action."], status=403, request_id=1
    )
    await communicator.send_json_to({"action": "authenticate", "token": "wrong", "request_id": 2})
    assert await communicator.receive_json_from() == reply(
        "authenticate", errors=["Invalid token."], status=401, request_id=2
    )
    await communicator.send_json_to({"action": "authenticate", "token": ["not", "a", "string"], "request_id": 3})
    assert await communicator.receive_json_from() == reply(
        "authenticate", errors=["Invalid token."], status=401, request_id=3
    )
    await communicator.send_json_to({"action": "authenticate", "token": key, "request_id": 4})
    assert await communicator.receive_json_from() == reply("authenticate", {"user": user.pk}, request_id=4)
    assert await whoami(communicator) == reply("whoami", {"username": "ada"}, request_id=1)
    await communicator.disconnect()


def tokens_from_a_table(token: str):
    """A custom TOKEN_AUTHENTICATOR: ``user:<name>`` is that user."""
    if token.startswith("user:"):
        return User.objects.filter(username=token[5:]).first()
    return None


async def test_token_authenticator_is_pluggable(settings):
    settings.DJANGO_CHANNELS_REST_API = {"TOKEN_AUTHENTICATOR": "tests.security.test_security_auth.tokens_from_a_table"}
    await run(make_user)
    communicator = await open_stack("/ws/?token=user:ada")
    assert await whoami(communicator) == reply("whoami", {"username": "ada"}, request_id=1)
    await communicator.disconnect()


# -- re-check of the user on every event -----------------------------------------------------------


async def subscribed(consumer_class, user, item) -> WebsocketCommunicator:
    communicator = await connect(consumer_class, user=user)
    await communicator.send_json_to({"action": "subscribe_instance", "pk": item.pk, "request_id": 5})
    assert await communicator.receive_json_from() == reply("subscribe_instance", status=201, request_id=5)
    return communicator


@database_sync_to_async
def rename(item: Item, name: str) -> None:
    item.name = name
    item.save()


async def test_a_deactivated_user_stops_receiving_at_the_next_event():
    user = await run(make_user)
    item = await run(lambda: Item.objects.create(name="a"))
    communicator = await subscribed(SignedInItemConsumer, user, item)
    await rename(item, "b")
    assert await communicator.receive_json_from() == reply(
        "update", {"id": item.pk, "name": "b", "value": 0}, request_id=5
    )
    await run(lambda: User.objects.filter(pk=user.pk).update(is_active=False))
    await rename(item, "c")
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_deleted_user_stops_receiving_at_the_next_event():
    user = await run(make_user)
    item = await run(lambda: Item.objects.create(name="a"))
    communicator = await subscribed(SignedInItemConsumer, user, item)
    await run(lambda: User.objects.filter(pk=user.pk).delete())
    await rename(item, "b")
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_revoked_permission_stops_deliveries_at_the_next_event():
    def permitted_user():
        user = make_user()
        user.user_permissions.add(Permission.objects.get(codename="view_item"))
        return User.objects.get(pk=user.pk)

    user = await run(permitted_user)
    item = await run(lambda: Item.objects.create(name="a"))
    communicator = await subscribed(PermittedItemConsumer, user, item)
    await rename(item, "b")
    assert await communicator.receive_json_from() == reply(
        "update", {"id": item.pk, "name": "b", "value": 0}, request_id=5
    )
    await run(lambda: user.user_permissions.clear())
    await rename(item, "c")
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_without_the_recheck_the_handshake_user_keeps_receiving(settings):
    """What RECHECK_USER_ON_EVENT prevents: the user object loaded at the handshake is stale."""
    settings.DJANGO_CHANNELS_REST_API = {"RECHECK_USER_ON_EVENT": False}
    user = await run(make_user)
    item = await run(lambda: Item.objects.create(name="a"))
    communicator = await subscribed(SignedInItemConsumer, user, item)
    await run(lambda: User.objects.filter(pk=user.pk).delete())
    await rename(item, "b")
    assert await communicator.receive_json_from() == reply(
        "update", {"id": item.pk, "name": "b", "value": 0}, request_id=5
    )
    await communicator.disconnect()
