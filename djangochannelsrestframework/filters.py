"""Running DRF filter backends and paginators against a websocket message.

DRF filter backends (``SearchFilter``, ``OrderingFilter``, django-filter's
``DjangoFilterBackend``) read ``request.query_params``.  Over a websocket the
parameters are the message's top-level keys, the same way the paginators read
``limit`` and ``offset``::

    {"action": "list", "search": "ada", "ordering": "-created", "status": "open", "limit": 20}

:func:`request_for_message` builds a DRF ``Request`` whose ``query_params`` hold those
keys, so backends run unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from rest_framework.request import Request

from .scope_utils import request_from_scope
from .types import Scope

#: Message keys that are never filter parameters.
NON_FILTER_KEYS = frozenset({"action", "request_id", "data", "pk"})


def _as_query_value(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def query_dict_from_message(kwargs: Mapping[str, Any]) -> QueryDict:
    """A ``QueryDict`` of the message's scalar keys (lists become repeated values)."""
    query = QueryDict(mutable=True)
    for key, value in kwargs.items():
        if key in NON_FILTER_KEYS:
            continue
        if isinstance(value, list):
            values = [text for text in map(_as_query_value, value) if text is not None]
            # An empty list would make ``query[key]`` return ``[]``, which backends cannot read.
            if values:
                query.setlist(key, values)
            continue
        text = _as_query_value(value)
        if text is not None:
            query[key] = text
    query._mutable = False
    return query


def request_for_message(scope: Scope, kwargs: Mapping[str, Any], method: str = "GET") -> Request:
    """A DRF ``Request`` for the websocket's scope whose query parameters are the message's keys."""
    http_request = request_from_scope(scope)
    http_request.method = method
    http_request.GET = query_dict_from_message(kwargs)  # type: ignore[assignment]
    request = Request(http_request)
    request.user = http_request.user
    return request


__all__ = [
    "NON_FILTER_KEYS",
    "query_dict_from_message",
    "request_for_message",
]
