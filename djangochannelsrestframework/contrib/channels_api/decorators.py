"""channels-api's ``detail_action`` and ``list_action``: custom binding actions.

A detail action gets the object's ``pk`` from the message (``"pk"``, or ``data["pk"]`` as channels-api
clients send it) and the message's ``data``; a list action gets ``data``.  Both return
``(data, status)``, and may be sync (run in a thread) or async.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from ...decorators import action


def _named_like(wrapper: Callable[..., Any], func: Callable[..., Any]) -> Callable[..., Any]:
    """``wrapper`` described as ``func`` (name, docs) for detached tasks, logs and the browsable page."""
    functools.update_wrapper(wrapper, func, updated=())
    # Its own signature (pk/data optional) is what clients may send: inspect must not follow to func's.
    del wrapper.__wrapped__  # type: ignore[attr-defined]
    return wrapper


def _pk_of(pk: Any, data: Any) -> Any:
    if pk is None and isinstance(data, dict):
        return data.get("pk")
    return pk


def detail_action(**kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """An action on one object: ``func(self, pk, data=None, **kwargs)``."""

    def decorator(func: Callable[..., Any]) -> Any:
        wrapper: Callable[..., Any]
        if asyncio.iscoroutinefunction(func):

            async def wrapper(self: Any, pk: Any = None, data: Any = None, **rest: Any) -> Any:
                return await func(self, _pk_of(pk, data), data=data, **rest)

        else:

            def wrapper(self: Any, pk: Any = None, data: Any = None, **rest: Any) -> Any:
                return func(self, _pk_of(pk, data), data=data, **rest)

        return action(**kwargs)(_named_like(wrapper, func))

    return decorator


def list_action(**kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """An action on the whole queryset: ``func(self, data=None, **kwargs)``."""

    def decorator(func: Callable[..., Any]) -> Any:
        wrapper: Callable[..., Any]
        if asyncio.iscoroutinefunction(func):

            async def wrapper(self: Any, data: Any = None, **rest: Any) -> Any:
                return await func(self, data=data, **rest)

        else:

            def wrapper(self: Any, data: Any = None, **rest: Any) -> Any:
                return func(self, data=data, **rest)

        return action(**kwargs)(_named_like(wrapper, func))

    return decorator


__all__ = [
    "detail_action",
    "list_action",
]
