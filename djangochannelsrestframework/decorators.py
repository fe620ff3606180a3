"""Decorators that expose consumer methods as websocket actions.

``@action()`` marks a method as callable by clients.  Sync methods run in a worker
thread through ``database_sync_to_async`` (inside ``transaction.atomic`` when asked,
or when ``ATOMIC_REQUESTS`` is on); async methods run on the event loop, and with
``detached=True`` in a task of their own so the socket keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from functools import partial as partial
from functools import wraps as wraps
from typing import Any, TypeVar, cast
from typing import Optional as Optional

from channels.db import database_sync_to_async
from django.conf import settings as settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from rest_framework.exceptions import ValidationError

from ._engine.arguments import lookup_key, method_parameters
from .consumers import AsyncAPIConsumer as AsyncAPIConsumer  # DCRF 1.3 exposed it here
from .types import GenericHost

F = TypeVar("F", bound=Callable[..., Any])


def _atomic_requests() -> bool:
    # ``settings_dict`` has Django's defaults filled in, so the key is always there.
    return bool(connections[DEFAULT_DB_ALIAS].settings_dict.get("ATOMIC_REQUESTS", False))


def _sync_action(func: Callable[..., Any], atomic: bool | None) -> Callable[..., Any]:
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        if atomic if atomic is not None else _atomic_requests():
            with transaction.atomic():
                return func(self, *args, **kwargs)
        return func(self, *args, **kwargs)

    run_in_thread = database_sync_to_async(run)

    @functools.wraps(func)
    async def sync_action(self: Any, *args: Any, **kwargs: Any) -> Any:
        return await run_in_thread(self, *args, **kwargs)

    return sync_action


def _detached_action(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    async def detached_action(self: Any, *args: Any, **kwargs: Any) -> None:
        # The consumer always passes ``action`` and ``request_id`` to detached actions (the reply
        # needs them); hand on only those the method itself accepts.
        action_name = kwargs.get("action")
        request_id = kwargs.get("request_id")
        params = method_parameters(func)
        for injected in ("action", "request_id"):
            if injected in kwargs and not params.accepts(injected):
                del kwargs[injected]

        async def run() -> None:
            try:
                result = await func(self, *args, **kwargs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self.handle_exception(exc, action=action_name, request_id=request_id)
                return
            await self.reply_with_result(result, action=action_name, request_id=request_id)

        self.start_detached_task(func.__name__, run(), request_id=request_id)

    return detached_action


#: DCRF 1.3's name for it, kept for compatibility.
__detached_action = _detached_action


def action(atomic: bool | None = None, detached: bool | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Expose a consumer method as a websocket action.

    ``name="wire_name"`` publishes the method under another action name.  The method
    returns ``(data, status)`` to reply, or ``None`` when it sends its own messages.
    """

    def decorator(func: F) -> F:
        wrapped: Any
        if asyncio.iscoroutinefunction(func):
            if atomic:
                raise ValueError("Only synchronous actions can be atomic")
            wrapped = _detached_action(func) if detached else func
        else:
            if detached:
                raise ValueError("Only asynchronous actions can be detached")
            wrapped = _sync_action(func, atomic)
        wrapped.action = True
        wrapped.kwargs = kwargs
        wrapped.detached = bool(detached)
        return cast(F, wrapped)

    return decorator


def detached(func: F) -> F:
    """Run an async consumer method as a task owned by the connection; it returns at once.

    The task is cancelled when the socket disconnects.  Use ``@action(detached=True)``
    for actions: their results and errors are replied to the client.
    """
    if not asyncio.iscoroutinefunction(func):
        raise ValueError("Only asynchronous methods can be detached")

    @functools.wraps(func)
    async def detached_method(self: Any, *args: Any, **kwargs: Any) -> None:
        self.start_detached_task(func.__name__, func(self, *args, **kwargs))

    return cast(F, detached_method)


def list_action(**kwargs: Any) -> Callable[[F], F]:
    """An action on the whole collection (``get_queryset()``); same as ``@action``, marked ``detail=False``."""
    decorate = action(**kwargs)

    def decorator(func: F) -> F:
        wrapped: Any = decorate(func)
        wrapped.detail = False
        return cast(F, wrapped)

    return decorator


def _require_lookup_key(consumer: Any, kw: dict[str, Any]) -> str:
    key = lookup_key(consumer)
    if key not in kw:
        raise ValidationError({key: ["This argument is required."]})
    return key


def _drop_unaccepted_key(func: Callable[..., Any], key: str, kw: dict[str, Any]) -> None:
    if not method_parameters(func).accepts(key):
        kw.pop(key, None)


def detail_action(**kwargs: Any) -> Callable[[F], F]:
    """An action on one object, looked up with the consumer's ``get_object`` before the method runs.

    The message must carry the lookup key (``pk`` unless ``lookup_url_kwarg``/``lookup_field``
    say otherwise): 400 when missing, 404 when no object matches, 403 when object permissions
    deny.  A method with an ``instance`` parameter receives the object.
    """

    def decorator(func: F) -> F:
        wants_instance = "instance" in method_parameters(func).names
        if asyncio.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_detail(self: GenericHost, *args: Any, **kw: Any) -> Any:
                key = _require_lookup_key(self, kw)
                instance = await database_sync_to_async(self.get_object)(**kw)
                _drop_unaccepted_key(func, key, kw)
                if wants_instance:
                    kw["instance"] = instance
                else:  # "instance" is reserved for the looked-up object, even when a client sends it
                    kw.pop("instance", None)
                return await func(self, *args, **kw)

            wrapped: Any = async_detail
        else:

            @functools.wraps(func)
            def sync_detail(self: GenericHost, *args: Any, **kw: Any) -> Any:
                key = _require_lookup_key(self, kw)
                instance = self.get_object(**kw)
                _drop_unaccepted_key(func, key, kw)
                if wants_instance:
                    kw["instance"] = instance
                else:  # "instance" is reserved for the looked-up object, even when a client sends it
                    kw.pop("instance", None)
                return func(self, *args, **kw)

            wrapped = sync_detail
        wrapped = action(**kwargs)(wrapped)
        wrapped.detail = True
        return cast(F, wrapped)

    return decorator


# What this module offers; DCRF 1.3's names are kept too, so `from ... import *` gives what it gave.
__all__ = [
    "AsyncAPIConsumer",
    "Optional",
    "action",
    "asyncio",
    "database_sync_to_async",
    "detached",
    "detail_action",
    "list_action",
    "partial",
    "settings",
    "transaction",
    "wraps",
]
