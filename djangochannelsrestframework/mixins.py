"""CRUD and list actions for :class:`~djangochannelsrestframework.generics.GenericAsyncAPIConsumer`.

Each mixin adds one action, like DRF's view mixins::

    class UserConsumer(ListModelMixin, RetrieveModelMixin, GenericAsyncAPIConsumer):
        queryset = User.objects.all()
        serializer_class = UserSerializer

The ``perform_*`` hooks are the places to add side effects (set the owner, send an email).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict as OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, cast
from typing import Dict as Dict  # noqa: UP035
from typing import Optional as Optional
from typing import Tuple as Tuple  # noqa: UP035
from typing import Union as Union

from django.core.exceptions import ImproperlyConfigured
from rest_framework import status
from rest_framework.utils.serializer_helpers import ReturnDict as ReturnDict
from rest_framework.utils.serializer_helpers import ReturnList as ReturnList

from ._engine.serializer_plans import serializer_data
from .consumers import ANY_REQUEST_ID
from .decorators import action
from .settings import SettingDefault
from .settings import api_settings as api_settings
from .types import GenericHost, RequestId

# What each mixin's actions call on ``self``: its consumer's methods (GenericHost) and its own hooks.


class _Creating(GenericHost, Protocol):
    def perform_create(self, serializer: Any, **kwargs: Any) -> None: ...


class _Saving(GenericHost, Protocol):
    def _save(self, data: dict[str, Any], partial: bool, kwargs: dict[str, Any]) -> Any: ...

    def perform_update(self, serializer: Any, **kwargs: Any) -> None: ...

    def perform_patch(self, serializer: Any, **kwargs: Any) -> None: ...


class _Deleting(GenericHost, Protocol):
    def perform_delete(self, instance: Any, **kwargs: Any) -> None: ...


class _Paginating(GenericHost, Protocol):
    @property
    def paginator(self) -> Any: ...

    def paginate_queryset(self, queryset: Any, **kwargs: Any) -> Sequence[Any] | None: ...

    def get_paginated_response(self, data: Any) -> Any: ...


class _Streaming(_Paginating, Protocol):
    sleep_time_between_pages: float

    def _next_page_kwargs(self, data: Any) -> dict[str, Any] | None: ...


class CreateModelMixin:
    """``create`` action: ``{"action": "create", "data": {...}}`` -> 201 with the serialized object."""

    @action()
    def create(self: _Creating, data: dict[str, Any], **kwargs: Any) -> tuple[Any, int]:
        serializer = self.get_serializer(data=data, action_kwargs=kwargs)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer, **kwargs)
        return serializer.data, status.HTTP_201_CREATED

    def perform_create(self, serializer: Any, **kwargs: Any) -> None:
        serializer.save()


class ListModelMixin:
    """``list`` action: every object of the (filtered) queryset."""

    @action()
    def list(self, **kwargs: Any) -> tuple[Any, int]:
        # Not ``self: GenericHost``: live lists reach this method through ``self.list`` on a mixin.
        host = cast(GenericHost, self)
        queryset = host.filter_queryset(host.get_queryset(**kwargs), **kwargs)
        serializer = host.get_serializer(instance=queryset, many=True, action_kwargs=kwargs)
        return serializer_data(serializer), status.HTTP_200_OK


class RetrieveModelMixin:
    """``retrieve`` action: ``{"action": "retrieve", "pk": 1}`` -> the serialized object."""

    @action()
    def retrieve(self: GenericHost, **kwargs: Any) -> tuple[Any, int]:
        instance = self.get_object(**kwargs)
        serializer = self.get_serializer(instance=instance, action_kwargs=kwargs)
        return serializer_data(serializer), status.HTTP_200_OK


class _SaveMixin:
    def _save(self: _Saving, data: dict[str, Any], partial: bool, kwargs: dict[str, Any]) -> Any:
        instance = self.get_object(data=data, **kwargs)
        serializer = self.get_serializer(instance=instance, data=data, action_kwargs=kwargs, partial=partial)
        serializer.is_valid(raise_exception=True)
        if partial:
            self.perform_patch(serializer, **kwargs)
        else:
            self.perform_update(serializer, **kwargs)
        if getattr(instance, "_prefetched_objects_cache", None):
            # Prefetched relations are stale after the save; drop them so the reply is fresh.
            vars(instance)["_prefetched_objects_cache"] = {}
        return serializer.data


class UpdateModelMixin(_SaveMixin):
    """``update`` action: ``{"action": "update", "pk": 1, "data": {...}}`` replaces the object's fields."""

    @action()
    def update(self: _Saving, data: dict[str, Any], **kwargs: Any) -> tuple[Any, int]:
        return self._save(data, False, kwargs), status.HTTP_200_OK

    def perform_update(self, serializer: Any, **kwargs: Any) -> None:
        serializer.save()


class PatchModelMixin(_SaveMixin):
    """``patch`` action: like ``update`` but only the fields sent change (``partial=True``)."""

    @action()
    def patch(self: _Saving, data: dict[str, Any], **kwargs: Any) -> tuple[Any, int]:
        return self._save(data, True, kwargs), status.HTTP_200_OK

    def perform_patch(self, serializer: Any, **kwargs: Any) -> None:
        serializer.save()


class DeleteModelMixin:
    """``delete`` action: ``{"action": "delete", "pk": 1}`` -> 204 with ``data: null``."""

    @action()
    def delete(self: _Deleting, **kwargs: Any) -> tuple[None, int]:
        instance = self.get_object(**kwargs)
        self.perform_delete(instance, **kwargs)
        return None, status.HTTP_204_NO_CONTENT

    def perform_delete(self, instance: Any, **kwargs: Any) -> None:
        instance.delete()


class PaginatedModelListMixin(ListModelMixin):
    """``list`` with pagination: the page's parameters (``limit``/``offset``...) come from the message.

    ``pagination_class`` defaults to the ``DEFAULT_PAGINATION_CLASS`` setting; with
    none, the whole list is returned as by :class:`ListModelMixin`.
    """

    pagination_class: Any = SettingDefault("DEFAULT_PAGINATION_CLASS")

    @action()
    def list(self: _Paginating, **kwargs: Any) -> tuple[Any, int]:
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)
        page = self.paginate_queryset(queryset, **kwargs)
        if page is None:
            serializer = self.get_serializer(instance=queryset, many=True, action_kwargs=kwargs)
            return serializer_data(serializer), status.HTTP_200_OK
        serializer = self.get_serializer(instance=page, many=True, action_kwargs=kwargs)
        return self.get_paginated_response(serializer_data(serializer)), status.HTTP_200_OK

    @property
    def paginator(self) -> Any:
        """The paginator instance, or ``None`` when ``pagination_class`` is ``None``."""
        if "_paginator" not in self.__dict__:
            pagination_class = self.pagination_class
            self.__dict__["_paginator"] = pagination_class() if pagination_class is not None else None
        return self.__dict__["_paginator"]

    def paginate_queryset(self: _Paginating, queryset: Any, **kwargs: Any) -> Sequence[Any] | None:
        """One page of ``queryset``, or ``None`` when not paginating."""
        paginator = self.paginator
        if paginator is None:
            return None
        page: Sequence[Any] | None = paginator.paginate_queryset(queryset, self.scope, view=self, **kwargs)
        return page

    def get_paginated_response(self, data: Any) -> Any:
        """The reply body for one page."""
        if self.paginator is None:
            raise ImproperlyConfigured(f"{type(self).__name__} has no pagination_class")
        return self.paginator.get_paginated_response(data)


class StreamedPaginatedListMixin(PaginatedModelListMixin):
    """``list`` that streams every page as its own reply (same ``request_id``) until the last one.

    The stream runs as a detached task: the socket keeps answering other actions, and
    ``{"action": "list_cancel", "request_id": ...}`` stops the stream with that request id
    (every stream when none is given).  ``sleep_time_between_pages`` paces the pages.
    """

    sleep_time_between_pages: float = 0

    @action(detached=True)
    async def list(self: _Streaming, action: str, request_id: RequestId, **kwargs: Any) -> None:  # type: ignore[override]
        if self.paginator is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a pagination_class to stream pages")
        list_page: Any = PaginatedModelListMixin.list
        while True:
            await asyncio.sleep(self.sleep_time_between_pages)
            # get_queryset & co. see the same keys as for a plain list, action and request_id included.
            data, status_code = await list_page(self, action=action, request_id=request_id, **kwargs)
            await self.reply(action="list", data=data, status=status_code, request_id=request_id)
            next_kwargs = self._next_page_kwargs(data)
            if next_kwargs is None:
                return
            kwargs.update(next_kwargs)

    def _next_page_kwargs(self, data: Any) -> dict[str, Any] | None:
        if not isinstance(data, Mapping):
            # The paginator declined to paginate (no page size): the whole list was the one reply.
            return None
        next_page = getattr(self.paginator, "next_page_kwargs", None)
        if next_page is not None:
            following: dict[str, Any] | None = next_page(data)
            return following
        offset, limit, count = data["offset"], data["limit"], data["count"]
        return None if offset >= count - limit else {"offset": offset + limit}

    @action()
    async def list_cancel(self: GenericHost, request_id: RequestId = None, **kwargs: Any) -> tuple[None, int]:
        await self.cancel_detached_tasks("list", request_id=ANY_REQUEST_ID if request_id is None else request_id)
        return None, status.HTTP_200_OK


def __getattr__(name: str) -> Any:
    # Live list subscriptions live with the observers; loaded lazily to avoid an import cycle.
    if name == "ListSubscriptionMixin":
        from .observer.lists import ListSubscriptionMixin

        return ListSubscriptionMixin
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# What this module offers; DCRF 1.3's names are kept too, so `from ... import *` gives what it gave.
__all__ = [
    "Any",
    "CreateModelMixin",
    "DeleteModelMixin",
    "Dict",
    "ListModelMixin",
    "Optional",
    "OrderedDict",
    "PaginatedModelListMixin",
    "PatchModelMixin",
    "RetrieveModelMixin",
    "ReturnDict",
    "ReturnList",
    "StreamedPaginatedListMixin",
    "Tuple",
    "Union",
    "UpdateModelMixin",
    "action",
    "api_settings",
    "status",
]
