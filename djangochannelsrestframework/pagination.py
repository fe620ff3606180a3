"""Paginators that read their parameters from the websocket message instead of the query string.

Each paginator takes ``paginate_queryset(queryset, scope, view=None, **message_kwargs)``
and returns the page (or ``None`` for no pagination); ``get_paginated_response(data)``
returns the reply body; ``next_page_kwargs(data)`` tells a streamed list which message
keys fetch the following page (``None`` after the last one).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, cast
from typing import Dict as Dict  # noqa: UP035
from typing import List as List  # noqa: UP035
from typing import Optional as Optional
from typing import Union as Union
from urllib.parse import parse_qs, urlparse

from django.core.paginator import Page
from rest_framework.pagination import CursorPagination, LimitOffsetPagination, PageNumberPagination
from rest_framework.utils.serializer_helpers import ReturnDict as ReturnDict
from rest_framework.utils.serializer_helpers import ReturnList as ReturnList

from .filters import request_for_message
from .settings import api_settings
from .types import Scope

_MAX_INT = 2**63 - 1


def _positive_int(value: Any, strict: bool = False, cutoff: int | None = None) -> int:
    """``int(value)``; negative (or zero when ``strict``) raises ``ValueError``; capped at ``cutoff``."""
    if isinstance(value, bool):
        raise ValueError(value)
    number = int(value)
    # Beyond 64 bits neither the database nor the reply's JSON encoder can take the number.
    if number < 0 or (strict and number == 0) or number > _MAX_INT:
        raise ValueError(value)
    if cutoff is not None:
        number = min(number, cutoff)
    return number


def _default_page_size() -> int | None:
    size = api_settings.PAGE_SIZE
    return cast("int | None", size if size is not None else api_settings.DEFAULT_PAGE_SIZE)


class _DefaultPageSize:
    """Class attribute: ``PAGE_SIZE``, else ``DEFAULT_PAGE_SIZE``, read at use so overrides apply."""

    def __get__(self, instance: Any, owner: Any = None) -> int | None:
        return _default_page_size()


class WebsocketLimitOffsetPagination(LimitOffsetPagination):
    """``limit``/``offset`` pagination; the reply body is ``{count, results, limit, offset}``.

    Missing, null or junk ``limit`` falls back to the default page size, and such an
    ``offset`` to 0, instead of failing.
    """

    default_limit: Any = _DefaultPageSize()
    count: int
    limit: int | None
    offset: int

    def paginate_queryset(  # type: ignore[override]
        self, queryset: Any, scope: Scope, view: Any = None, **kwargs: Any
    ) -> list[Any] | None:
        self.scope = scope
        self.limit = self.get_limit(**kwargs)
        if self.limit is None:
            return None
        self.count = self.get_count(queryset)
        self.offset = self.get_offset(**kwargs)
        if self.count == 0 or self.offset > self.count:
            return []
        # Slicing no further than ``count`` keeps offset + limit within what the database accepts.
        return list(queryset[self.offset : min(self.offset + self.limit, self.count)])

    def get_limit(self, **kwargs: Any) -> int | None:  # type: ignore[override]
        value = kwargs.get(self.limit_query_param)
        if value is not None:
            try:
                return _positive_int(value, strict=True, cutoff=self.max_limit)
            except (TypeError, ValueError):
                pass
        return self.default_limit  # type: ignore[no-any-return]

    def get_offset(self, **kwargs: Any) -> int:  # type: ignore[override]
        try:
            return _positive_int(kwargs.get(self.offset_query_param, 0))
        except (TypeError, ValueError):
            return 0

    def get_paginated_response(self, data: Any) -> OrderedDict[str, Any]:  # type: ignore[override]
        return OrderedDict([("count", self.count), ("results", data), ("limit", self.limit), ("offset", self.offset)])

    def next_page_kwargs(self, data: Any) -> dict[str, Any] | None:
        """``{"offset": ...}`` for the next page, or ``None`` after the last one."""
        offset, limit, count = data["offset"], data["limit"], data["count"]
        if offset + limit >= count:
            return None
        return {"offset": offset + limit, "limit": limit}


class WebsocketPageNumberPagination(PageNumberPagination):
    """``page`` (and, when ``page_size_query_param`` is set, ``page_size``) pagination.

    The reply body is ``{count, results, page, page_size, num_pages}``; an out-of-range
    page is a 404 reply, as in DRF.
    """

    page_size: Any = _DefaultPageSize()
    page_size_query_param: str | None = "page_size"

    def paginate_queryset(  # type: ignore[override]
        self, queryset: Any, scope: Scope, view: Any = None, **kwargs: Any
    ) -> list[Any] | None:
        request = request_for_message(scope, kwargs)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> OrderedDict[str, Any]:  # type: ignore[override]
        page = cast("Page[Any]", self.page)
        return OrderedDict(
            [
                ("count", page.paginator.count),
                ("results", data),
                ("page", page.number),
                ("page_size", page.paginator.per_page),
                ("num_pages", page.paginator.num_pages),
            ]
        )

    def next_page_kwargs(self, data: Any) -> dict[str, Any] | None:
        if data["page"] >= data["num_pages"]:
            return None
        return {"page": data["page"] + 1, "page_size": data["page_size"]}


class WebsocketCursorPagination(CursorPagination):
    """Cursor pagination (stable under inserts); the reply body is ``{results, next, previous}``.

    ``next``/``previous`` are opaque cursor strings: send one back as ``cursor`` to
    fetch that page.  Set ``ordering`` to a unique, unchanging field (``"-created"`` by default).
    """

    page_size: Any = _DefaultPageSize()

    def paginate_queryset(  # type: ignore[override]
        self, queryset: Any, scope: Scope, view: Any = None, **kwargs: Any
    ) -> list[Any] | None:
        request = request_for_message(scope, kwargs)
        return super().paginate_queryset(queryset, request, view)

    def _cursor_from_link(self, link: str | None) -> str | None:
        if link is None:
            return None
        values = parse_qs(urlparse(link).query).get(self.cursor_query_param)
        return values[0] if values else None

    def get_paginated_response(self, data: Any) -> OrderedDict[str, Any]:  # type: ignore[override]
        return OrderedDict(
            [
                ("results", data),
                ("next", self._cursor_from_link(self.get_next_link())),
                ("previous", self._cursor_from_link(self.get_previous_link())),
            ]
        )

    def next_page_kwargs(self, data: Any) -> dict[str, Any] | None:
        return {self.cursor_query_param: data["next"]} if data.get("next") else None


# What this module offers; DCRF 1.3's names are kept too, so `from ... import *` gives what it gave.
__all__ = [
    "Any",
    "Dict",
    "LimitOffsetPagination",
    "List",
    "Optional",
    "OrderedDict",
    "ReturnDict",
    "ReturnList",
    "Union",
    "WebsocketCursorPagination",
    "WebsocketLimitOffsetPagination",
    "WebsocketPageNumberPagination",
    "api_settings",
]
