"""Permission classes: the built-ins, composition in every order, DRF wrapping and the wire behaviour."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, User
from rest_framework import permissions as drf
from rest_framework.exceptions import PermissionDenied

from djangochannelsrestframework import permissions
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.permissions import (
    AND,
    NOT,
    OR,
    AllowAny,
    BasePermission,
    IsAuthenticated,
    WrappedDRFPermission,
)
from tests.support.core_consumers import allow_connection_housekeeping  # noqa: F401
from tests.support.envelope import reply

DENIED = ["You do not have permission to perform this action."]


# -- permissions used by the tests --------------------------------------------------------------


class Allow(BasePermission):
    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        return True


class Deny(BasePermission):
    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        return False

    async def can_connect(self, scope: dict[str, Any], consumer: Any, message: Any = None) -> bool:
        return False


class SyncAllow(BasePermission):
    def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:  # type: ignore[override]
        return True


class SyncDeny(BasePermission):
    def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:  # type: ignore[override]
        return False


class NoKwargs(BasePermission):
    async def has_permission(self, scope, consumer, action):  # type: ignore[no-untyped-def,override]
        return action == "ping"


class OnlyPk(BasePermission):
    """Allows only ``pk == 1``; takes ``pk`` by name and nothing else."""

    async def has_permission(self, scope, consumer, action, pk=None):  # type: ignore[no-untyped-def,override]
        return pk == 1


class Ping(AsyncAPIConsumer):
    @action()
    async def ping(self, **kwargs: Any) -> tuple[str, int]:
        return "pong", 200


async def allowed(permission_class: Any, user: Any = None, action: str = "ping", **kwargs: Any) -> bool:
    """Run a consumer's permission check with ``permission_class`` as its only permission."""
    consumer = Ping()
    consumer.permission_classes = (permission_class,)
    consumer.scope = {"type": "websocket", "path": "/ws/", "headers": []}
    if user is not None:
        consumer.scope["user"] = user
    try:
        await consumer.check_permissions(action, **kwargs)
    except PermissionDenied:
        return False
    return True


def authenticated_user() -> User:
    return User(pk=1, username="ann")


# -- built-ins ----------------------------------------------------------------------------------


async def test_allow_any() -> None:
    assert await AllowAny().has_permission({}, None, "anything") is True


async def test_base_permission_denies_actions() -> None:
    assert not await BasePermission().has_permission({}, None, "anything")
    assert await allowed(BasePermission) is False


async def test_base_permission_allows_connect() -> None:
    assert await BasePermission().can_connect({}, None) is True


async def test_base_permission_allows_objects() -> None:
    assert await BasePermission().has_object_permission({}, None, "retrieve", obj=object()) is True


async def test_is_authenticated_without_user() -> None:
    assert await IsAuthenticated().has_permission({}, None, "ping") is False


async def test_is_authenticated_anonymous() -> None:
    assert await IsAuthenticated().has_permission({"user": AnonymousUser()}, None, "ping") is False


async def test_is_authenticated_user() -> None:
    assert await IsAuthenticated().has_permission({"user": authenticated_user()}, None, "ping") is True


async def test_is_authenticated_user_without_pk() -> None:
    assert await IsAuthenticated().has_permission({"user": User(username="unsaved")}, None, "ping") is False


async def test_is_authenticated_does_not_refuse_connections() -> None:
    assert await IsAuthenticated().can_connect({"user": AnonymousUser()}, None) is True


# -- composition ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("composed", "expected"),
    [
        (Allow & Allow, True),
        (Allow & Deny, False),
        (Deny & Allow, False),
        (Allow | Deny, True),
        (Deny | Allow, True),
        (Deny | Deny, False),
        (~Deny, True),
        (~Allow, False),
        (~(Allow & Deny), True),
        (~~Allow, True),
        ((Deny | Allow) & ~Deny, True),
        (Allow & Allow & Deny, False),
        (Deny | Deny | Allow, True),
    ],
)
async def test_composition_of_our_classes(composed: Any, expected: bool) -> None:
    assert await allowed(composed) is expected


@pytest.mark.parametrize(
    ("composed", "expected"),
    [
        (Allow & drf.AllowAny, True),
        (Deny & drf.AllowAny, False),
        (Deny | drf.AllowAny, True),
        (Allow & drf.IsAuthenticated, False),
        (Allow | drf.IsAuthenticated, True),
        (drf.IsAuthenticated & Allow, False),
        (drf.AllowAny & Allow, True),
        (drf.AllowAny & Deny, False),
        (drf.IsAuthenticated | Allow, True),
        (drf.IsAuthenticated | Deny, False),
        (drf.AllowAny & ~Deny, True),
        (~drf.IsAuthenticated & Allow, True),
        (~(drf.AllowAny & Allow), False),
        (drf.AllowAny | drf.IsAuthenticated, True),
        (drf.IsAuthenticated & drf.AllowAny, False),
        (~drf.IsAuthenticated, True),
        ((drf.AllowAny & drf.AllowAny) | (Deny & Allow), True),
        ((Deny & Allow) | (drf.IsAuthenticated & drf.AllowAny), False),
        ((drf.IsAuthenticated & drf.AllowAny) | Allow, True),
    ],
)
async def test_composition_mixing_drf_classes_anonymous(composed: Any, expected: bool) -> None:
    assert await allowed(composed, user=AnonymousUser()) is expected


@pytest.mark.parametrize(
    "composed",
    [
        drf.IsAuthenticated & Allow,
        Allow & drf.IsAuthenticated,
        drf.IsAuthenticated & SyncAllow,
        ~Deny & drf.IsAuthenticated,
    ],
)
async def test_composition_mixing_drf_classes_authenticated(composed: Any) -> None:
    assert await allowed(composed, user=authenticated_user()) is True


async def test_drf_first_mixed_composite_builds_our_and() -> None:
    instance = permissions.as_consumer_permission((drf.IsAuthenticated & Allow)())
    assert isinstance(instance, AND)
    assert isinstance(instance.op1, WrappedDRFPermission)
    assert isinstance(instance.op2, Allow)


async def test_our_composites_are_our_operator_classes() -> None:
    assert isinstance((Allow & Deny)(), AND)
    assert isinstance((Allow | Deny)(), OR)
    assert isinstance((~Allow)(), NOT)


async def test_sync_permission_alone() -> None:
    assert await allowed(SyncAllow) is True
    assert await allowed(SyncDeny) is False


@pytest.mark.parametrize(
    ("composed", "expected"),
    [
        (SyncAllow & Allow, True),
        (Allow & SyncDeny, False),
        (SyncDeny | SyncAllow, True),
        (~SyncDeny, True),
        (~SyncAllow, False),
        (drf.AllowAny & SyncAllow, True),
        (SyncDeny | drf.AllowAny, True),
    ],
)
async def test_sync_permission_in_composites(composed: Any, expected: bool) -> None:
    assert await allowed(composed) is expected


async def test_permission_without_kwargs_gets_only_what_it_accepts() -> None:
    assert await allowed(NoKwargs, action="ping", pk=3, data={"x": 1}) is True
    assert await allowed(NoKwargs, action="other", pk=3) is False


async def test_permission_without_kwargs_inside_composite() -> None:
    assert await allowed(NoKwargs & Allow, action="ping", pk=3) is True


async def test_permission_receives_message_keys() -> None:
    assert await allowed(OnlyPk, pk=1, other="x") is True
    assert await allowed(OnlyPk, pk=2) is False


async def test_can_connect_of_composites() -> None:
    assert await (Allow & Deny)().can_connect({}, None) is False
    assert await (Allow | Deny)().can_connect({}, None) is True
    assert await (~Deny)().can_connect({}, None) is True


# -- DRF permissions ------------------------------------------------------------------------------


class RecordMethod(drf.BasePermission):
    seen: list[tuple[str, Any, Any]] = []

    def has_permission(self, request: Any, view: Any) -> bool:
        RecordMethod.seen.append((request.method, request.user, view))
        return True


@pytest.mark.parametrize(
    ("action_name", "method"),
    [
        ("create", "PUT"),
        ("update", "PATCH"),
        ("list", "GET"),
        ("retrieve", "GET"),
        ("connect", "HEAD"),
        ("delete", "DELETE"),
        ("patch", "PATCH"),
        ("foo_bar", "FOO_BAR"),
    ],
)
async def test_drf_permission_sees_mapped_method(action_name: str, method: str) -> None:
    RecordMethod.seen = []
    consumer = Ping()
    wrapped = WrappedDRFPermission(RecordMethod())
    assert await wrapped.has_permission({"type": "websocket"}, consumer, action_name) is True
    seen_method, user, view = RecordMethod.seen[0]
    assert seen_method == method
    assert isinstance(user, AnonymousUser)
    assert view is consumer


async def test_drf_permission_can_connect_uses_head() -> None:
    RecordMethod.seen = []
    assert await WrappedDRFPermission(RecordMethod()).can_connect({"type": "websocket"}, None) is True
    assert RecordMethod.seen[0][0] == "HEAD"


async def test_drf_permission_class_is_wrapped_by_consumer() -> None:
    consumer = Ping()
    consumer.permission_classes = (drf.IsAuthenticated,)
    [permission] = await consumer.get_permissions(action="ping")
    assert isinstance(permission, WrappedDRFPermission)
    assert isinstance(permission.permission, drf.IsAuthenticated)


async def test_drf_is_authenticated_with_user() -> None:
    assert await allowed(drf.IsAuthenticated, user=authenticated_user()) is True
    assert await allowed(drf.IsAuthenticated, user=AnonymousUser()) is False


async def test_drf_only_composites() -> None:
    assert await allowed(drf.IsAuthenticated | drf.AllowAny) is True
    assert await allowed(~drf.AllowAny) is False


async def test_drf_object_permission_uses_mapped_method() -> None:
    class ObjectPermission(drf.BasePermission):
        def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
            return request.method in drf.SAFE_METHODS and obj == "mine"

    wrapped = WrappedDRFPermission(ObjectPermission())
    assert await wrapped.has_object_permission({}, None, "retrieve", obj="mine") is True
    assert await wrapped.has_object_permission({}, None, "update", obj="mine") is False
    assert await wrapped.has_object_permission({}, None, "retrieve", obj="theirs") is False


# -- on the wire ----------------------------------------------------------------------------------


class DenyConsumer(Ping):
    permission_classes = (Deny,)


class ConnectDenied(BasePermission):
    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        return True

    async def can_connect(self, scope: dict[str, Any], consumer: Any, message: Any = None) -> bool:
        return False


class ConnectCrashes(BasePermission):
    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        return True

    async def can_connect(self, scope: dict[str, Any], consumer: Any, message: Any = None) -> bool:
        raise RuntimeError("can_connect exploded")


class SyncConnectDenied(BasePermission):
    def can_connect(self, scope: dict[str, Any], consumer: Any, message: Any = None) -> bool:  # type: ignore[override]
        return False


class RecordingPermission(BasePermission):
    calls: list[dict[str, Any]] = []

    async def has_permission(self, scope: dict[str, Any], consumer: Any, action: str, **kwargs: Any) -> bool:
        RecordingPermission.calls.append({"action": action, **kwargs})
        return True


async def finish(communicator: WebsocketCommunicator) -> None:
    """End a refused connection the way a server does: the client is gone."""
    await communicator.send_input({"type": "websocket.disconnect", "code": 1006})
    await communicator.wait()


async def connect(consumer_class: type, user: Any = None) -> tuple[WebsocketCommunicator, bool]:
    communicator = WebsocketCommunicator(consumer_class.as_asgi(), "/ws/")
    if user is not None:
        communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    return communicator, connected


@pytest.mark.parametrize(
    "permission_class",
    [ConnectDenied, SyncConnectDenied, Allow & ConnectDenied, ConnectDenied | Deny, ~Allow & ConnectDenied],
)
async def test_can_connect_denial_closes_the_handshake(permission_class: Any) -> None:
    class Guarded(Ping):
        permission_classes = (permission_class,)

    communicator, connected = await connect(Guarded)
    assert connected is False
    await finish(communicator)


async def test_can_connect_exception_refuses_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    class Guarded(Ping):
        permission_classes = (ConnectCrashes,)

    caplog.set_level(logging.ERROR, logger="djangochannelsrestframework")
    communicator, connected = await connect(Guarded)
    assert connected is False
    assert "Error in can_connect; refusing the connection" in caplog.text
    assert "can_connect exploded" in caplog.text
    await finish(communicator)


async def test_drf_permission_refuses_anonymous_connect() -> None:
    class Guarded(Ping):
        permission_classes = (drf.IsAuthenticated,)

    communicator, connected = await connect(Guarded, user=AnonymousUser())
    assert connected is False
    await finish(communicator)


async def test_drf_permission_accepts_authenticated_connect_and_action() -> None:
    class Guarded(Ping):
        permission_classes = (drf.IsAuthenticated,)

    communicator, connected = await connect(Guarded, user=authenticated_user())
    assert connected is True
    await communicator.send_json_to({"action": "ping", "request_id": 1})
    assert await communicator.receive_json_from() == reply("ping", "pong", request_id=1)
    await communicator.disconnect()


async def test_drf_permission_with_odd_cookie_header() -> None:
    class Guarded(Ping):
        permission_classes = (drf.AllowAny,)

    communicator = WebsocketCommunicator(Guarded.as_asgi(), "/ws/", headers=[(b"cookie", b"{}=1; sessionid=abc")])
    connected, _ = await communicator.connect()
    assert connected is True
    await communicator.send_json_to({"action": "ping", "request_id": 1})
    assert await communicator.receive_json_from() == reply("ping", "pong", request_id=1)
    await communicator.disconnect()


async def test_connect_raising_permission_denied_closes() -> None:
    class Refuses(Ping):
        async def connect(self) -> None:
            raise PermissionDenied()

    communicator, connected = await connect(Refuses)
    assert connected is False
    await finish(communicator)


async def test_is_authenticated_accepts_socket_but_refuses_actions() -> None:
    class Guarded(Ping):
        permission_classes = (IsAuthenticated,)

    communicator, connected = await connect(Guarded, user=AnonymousUser())
    assert connected is True
    await communicator.send_json_to({"action": "ping", "request_id": 1})
    assert await communicator.receive_json_from() == reply("ping", errors=DENIED, status=403, request_id=1)
    await communicator.disconnect()


async def test_denied_action_replies_403() -> None:
    communicator, _ = await connect(DenyConsumer)
    await communicator.send_json_to({"action": "ping", "request_id": "r"})
    assert await communicator.receive_json_from() == reply("ping", errors=DENIED, status=403, request_id="r")
    await communicator.disconnect()


async def test_permissions_run_before_the_unknown_action_check() -> None:
    communicator, _ = await connect(DenyConsumer)
    await communicator.send_json_to({"action": "no_such_action", "request_id": 1})
    assert await communicator.receive_json_from() == reply("no_such_action", errors=DENIED, status=403, request_id=1)
    await communicator.disconnect()


async def test_permission_kwargs_receive_message_keys() -> None:
    class Recorded(Ping):
        permission_classes = (RecordingPermission,)

    RecordingPermission.calls = []
    communicator, _ = await connect(Recorded)
    await communicator.send_json_to({"action": "ping", "request_id": 9, "pk": 5, "data": {"name": "x"}})
    assert await communicator.receive_json_from() == reply("ping", "pong", request_id=9)
    assert RecordingPermission.calls == [{"action": "ping", "pk": 5, "data": {"name": "x"}}]
    await communicator.disconnect()


async def test_permission_without_kwargs_on_the_wire() -> None:
    class Strict(Ping):
        permission_classes = (NoKwargs,)

    communicator, _ = await connect(Strict)
    await communicator.send_json_to({"action": "ping", "pk": 1, "request_id": 1})
    assert await communicator.receive_json_from() == reply("ping", "pong", request_id=1)
    await communicator.disconnect()


async def test_default_permission_follows_settings(settings: Any) -> None:
    settings.DJANGO_CHANNELS_REST_API = {
        "DEFAULT_PERMISSION_CLASSES": ["djangochannelsrestframework.permissions.IsAuthenticated"]
    }
    communicator, connected = await connect(Ping, user=AnonymousUser())
    assert connected is True
    await communicator.send_json_to({"action": "ping", "request_id": 1})
    assert await communicator.receive_json_from() == reply("ping", errors=DENIED, status=403, request_id=1)
    await communicator.disconnect()
