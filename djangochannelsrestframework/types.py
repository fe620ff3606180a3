"""Named types for what the library passes around: the connection's scope, channel-layer
messages, request ids, what an action returns and the reply it becomes, and the consumer a mixin
is mixed into.  Use them to annotate your own consumers too.

The aliases are plain dicts and values at run time; the Protocols describe what the library's
mixins call on their consumer, so a mixin method annotates ``self`` with one of them::

    class ArchiveMixin:
        @action()
        def archive(self: GenericHost, **kwargs: Any) -> ActionResult:
            instance = self.get_object(**kwargs)
            ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypedDict

if TYPE_CHECKING:  # only annotations use them: importing this module needs no Django setup
    from django.db.models import Model, QuerySet
    from rest_framework.serializers import BaseSerializer

__all__ = [
    "ActionResult",
    "ConsumerHost",
    "Envelope",
    "GenericHost",
    "Message",
    "RequestId",
    "Scope",
]

#: The ASGI connection scope: ``type``, ``path``, ``headers``, ``query_string``, and what
#: middleware adds (``user``, ``session``, ``url_route``...).
Scope: TypeAlias = dict[str, Any]

#: A channel-layer message or ASGI event: a dict whose ``type`` names the handler that gets it.
Message: TypeAlias = dict[str, Any]

#: The ``request_id`` a client put in its message, echoed in every reply to it: any JSON value the
#: client chose, so nothing narrower than ``Any``.
RequestId: TypeAlias = Any

#: What an action returns: ``(data, status)`` to reply with, or ``None`` when it sent its own replies.
ActionResult: TypeAlias = "tuple[Any, int] | None"


class Envelope(TypedDict):
    """The envelope every reply is sent in."""

    errors: list[Any]
    data: Any
    action: str | None
    response_status: int
    request_id: RequestId


class ConsumerHost(Protocol):
    """What a mixin may use on any consumer of this package
    (:class:`~djangochannelsrestframework.consumers.AsyncAPIConsumer`)."""

    scope: Scope

    async def reply(
        self,
        action: str | None,
        data: Any = None,
        errors: list[Any] | None = None,
        status: int = 200,
        request_id: RequestId = None,
    ) -> None: ...

    async def reply_encoded(
        self, action: str | None, data: Any, data_text: str | None, status: int = 200, request_id: RequestId = None
    ) -> None: ...

    async def check_permissions(self, action: str, **kwargs: Any) -> None: ...

    async def add_group(self, name: str) -> None: ...

    async def remove_group(self, name: str) -> None: ...

    def bind_action_arguments(
        self, method: Any, action: str, request_id: RequestId, kwargs: dict[str, Any]
    ) -> dict[str, Any]: ...

    async def cancel_detached_tasks(self, function_name: str | None = None, request_id: RequestId = ...) -> int: ...


class GenericHost(ConsumerHost, Protocol):
    """What a mixin may use on a
    :class:`~djangochannelsrestframework.generics.GenericAsyncAPIConsumer`: its queryset, object
    and serializer."""

    lookup_field: str

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]: ...

    def filter_queryset(self, queryset: QuerySet[Any], **kwargs: Any) -> QuerySet[Any]: ...

    def get_lookup_key(self) -> str: ...

    def get_object(self, **kwargs: Any) -> Model: ...

    def check_object_permissions(self, obj: Any, **kwargs: Any) -> None: ...

    def get_serializer_class(self, **kwargs: Any) -> type[BaseSerializer[Any]]: ...

    def get_serializer_context(self, **kwargs: Any) -> dict[str, Any]: ...

    def get_serializer(self, action_kwargs: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> Any: ...
