"""Serving existing Django / DRF views over a websocket (``view_as_consumer``).

Each websocket action maps to an HTTP method; the message's ``query`` becomes the
request's GET parameters, ``parameters`` the view's URL kwargs and ``data`` the JSON
body (``request.data`` in DRF)::

    {"action": "retrieve", "request_id": 1, "parameters": {"pk": 5}, "query": {"expand": "owner"}}

The view's response is replied as ``data`` with the response's status code.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any, cast

from channels.db import database_sync_to_async
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.response import Response
from rest_framework.viewsets import ViewSetMixin

from . import codec
from ._consumer import AsyncAPIConsumer
from .scope_utils import request_from_scope
from .types import RequestId

#: Websocket action -> HTTP method used when ``view_as_consumer`` gets no ``mapped_actions``.
DEFAULT_MAPPED_ACTIONS: dict[str, str] = {
    "create": "PUT",
    "update": "PATCH",
    "patch": "PATCH",
    "list": "GET",
    "retrieve": "GET",
    "delete": "DELETE",
}

#: Websocket action -> ViewSet method, where the two names differ.
VIEWSET_METHODS: dict[str, str] = {"patch": "partial_update", "delete": "destroy"}


def _response_content(response: Any) -> Any:
    if isinstance(response, Response):
        try:
            codec.dumps(response.data)
            return response.data
        except TypeError:
            response.render()
    elif hasattr(response, "render") and callable(response.render):
        response.render()
    # StreamingHttpResponse / FileResponse have no ``content``: collect the stream.
    streaming = getattr(response, "streaming", False)
    content = b"".join(response) if streaming else getattr(response, "content", b"")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.hex()


def _check_object(name: str, value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object; missing/null means empty; anything else (``[]``, ``""``, ``0``) is a 400."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError({name: ["Expected an object."]})
    return value


class DjangoViewAsConsumer(AsyncAPIConsumer):
    """Runs a Django view for each action listed in :attr:`actions` (action -> HTTP method)."""

    view: Callable[..., Any] | None = None
    actions: dict[str, str] = {}

    @property
    def dumpy_url_config(self) -> None:
        """Unused; kept for compatibility."""
        return None

    async def handle_action(self, action: str, request_id: RequestId, **kwargs: Any) -> None:
        try:
            await self.initial(action, **kwargs)
            if action not in self.actions:
                raise MethodNotAllowed(method=action)
            content, status = await self.call_view(action=action, **kwargs)
            await self.reply(action=action, data=content, status=status, request_id=request_id)
        except Exception as exc:
            await self.handle_exception(exc, action=action, request_id=request_id)

    def get_view(self, action: str) -> Callable[..., Any]:
        """The view callable that serves ``action``."""
        if self.view is None:
            raise TypeError(f"{type(self).__name__}.view is not set")
        return self.view

    def get_view_args(self, action: str, **kwargs: Any) -> tuple[list[Any], Mapping[str, Any]]:
        """Positional and keyword arguments for the view (``parameters`` of the message)."""
        return [], _check_object("parameters", kwargs.get("parameters"))

    async def call_view(self, action: str, **kwargs: Any) -> tuple[Any, int]:
        """Run the view for ``action`` in a worker thread; returns ``(content, status)``."""
        result: tuple[Any, int] = await database_sync_to_async(self.run_view)(action, **kwargs)
        return result

    def run_view(self, action: str, **kwargs: Any) -> tuple[Any, int]:
        """Build the request from the message, call the view and return ``(content, status)``."""
        request = request_from_scope(self.scope)
        args, view_kwargs = self.get_view_args(action=action, **kwargs)
        request.method = self.actions[action].upper()
        # The handshake's origin was checked; there is no cross-site form post to guard against.
        request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]

        query = _check_object("query", kwargs.get("query"))
        get_params: Any = request.GET
        for key, value in query.items():
            if isinstance(value, list):
                get_params.setlist(key, value)
            else:
                get_params[key] = value

        # Every request gets a body stream (empty without ``data``): a bare HttpRequest has none,
        # and views that read ``request.body`` would fail with AttributeError.
        body = codec.dumps(kwargs["data"]).encode() if "data" in kwargs else b""
        if body:
            request.META["CONTENT_TYPE"] = "application/json"
        request.META["CONTENT_LENGTH"] = str(len(body))
        request._stream = io.BytesIO(body)
        request._read_started = False  # type: ignore[attr-defined]

        response = self.get_view(action)(request, *args, **view_kwargs)
        return _response_content(response), response.status_code


def _viewset_views(viewset: Any, actions: Mapping[str, str]) -> dict[str, Callable[..., Any]]:
    views = {}
    for action, method in actions.items():
        handler = VIEWSET_METHODS.get(action, action)
        if hasattr(viewset, handler):
            views[action] = viewset.as_view({method.lower(): handler})
    return views


def view_as_consumer(
    wrapped_view: Callable[..., Any], mapped_actions: dict[str, str] | None = None
) -> Callable[..., Any]:
    """An ASGI application (one consumer per connection) serving ``wrapped_view`` over a websocket.

    ``wrapped_view`` is a view function, ``View.as_view()``, or a DRF ViewSet class (each
    action then runs the ViewSet method of that name; ``patch`` runs ``partial_update``
    and ``delete`` runs ``destroy``).  ``mapped_actions`` maps websocket actions to HTTP
    methods; by default create→PUT, update→PATCH, patch→PATCH, list/retrieve→GET, delete→DELETE.
    """
    actions = dict(mapped_actions if mapped_actions is not None else DEFAULT_MAPPED_ACTIONS)
    attrs: dict[str, Any] = {"actions": actions}
    if isinstance(wrapped_view, type) and issubclass(wrapped_view, ViewSetMixin):
        views = _viewset_views(wrapped_view, actions)
        attrs["actions"] = {action: method for action, method in actions.items() if action in views}
        attrs["get_view"] = lambda self, action: views[action]
    else:
        attrs["view"] = staticmethod(wrapped_view)
    consumer_class = cast("type[DjangoViewAsConsumer]", type("DjangoViewWrapper", (DjangoViewAsConsumer,), attrs))
    return cast("Callable[..., Any]", consumer_class.as_asgi())


__all__ = [
    "DEFAULT_MAPPED_ACTIONS",
    "VIEWSET_METHODS",
    "DjangoViewAsConsumer",
    "view_as_consumer",
]
