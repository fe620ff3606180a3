"""``GenericAsyncAPIConsumer``: a consumer bound to a queryset and a serializer, like DRF's ``GenericAPIView``."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, cast
from typing import Dict as Dict  # noqa: UP035
from typing import Optional as Optional
from typing import Type as Type  # noqa: UP035

from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from rest_framework import filters as drf_filters
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.generics import get_object_or_404
from rest_framework.serializers import BaseSerializer
from rest_framework.serializers import Serializer as Serializer

from ._consumer import AsyncAPIConsumer
from ._engine.arguments import NULL_NOT_ALLOWED
from ._engine.converters import lookup_converter
from ._engine.overrides import Hooks, overrides
from .filters import request_for_message
from .permissions import call_permission, needs_object_check
from .scope_utils import request_from_scope
from .settings import SettingDefault

#: While ``subscribe_list`` reads its snapshot: the serializers :meth:`GenericAsyncAPIConsumer.get_serializer`
#: made, so the subscription knows exactly which rows the snapshot showed (see observer/lists.py).
made_serializers: ContextVar[list[Any] | None] = ContextVar("dcrf_made_serializers", default=None)

#: The hook whose default lets ``check_object_permissions`` skip permissions without an object check.
_PERMISSIONS = Hooks(AsyncAPIConsumer, "get_permissions")


class GenericAsyncAPIConsumer(AsyncAPIConsumer):
    """Base class for consumers that work on a queryset with a serializer.

    Set ``queryset`` and ``serializer_class`` (or override ``get_queryset`` /
    ``get_serializer_class``), then add mixins for the actions you want.  The methods
    are synchronous, as in DRF: call them from sync actions, or through
    ``database_sync_to_async`` from async ones.
    """

    queryset: QuerySet[Any] | None = None
    serializer_class: type[BaseSerializer[Any]] | None = None
    lookup_field: str = "pk"
    lookup_url_kwarg: str | None = None
    filter_backends: Any = SettingDefault("DEFAULT_FILTER_BACKENDS")

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        """The objects this consumer works on; override to depend on the user or the message."""
        if self.queryset is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} should either include a `queryset` attribute, "
                "or override the `get_queryset()` method."
            )
        queryset = self.queryset
        if isinstance(queryset, QuerySet):
            queryset = queryset.all()
        return queryset

    def get_lookup_key(self) -> str:
        """The message key that names the object (``lookup_url_kwarg``, else ``lookup_field``)."""
        return self.lookup_url_kwarg or self.lookup_field

    def get_object(self, **kwargs: Any) -> Model:
        """The object the message names: 400 if the lookup key is missing, 404 if absent, 403 if denied."""
        lookup_key = self.get_lookup_key()
        if lookup_key not in kwargs:
            raise ValidationError({lookup_key: ["This argument is required."]})
        queryset = self.filter_queryset(queryset=self.get_queryset(**kwargs), **kwargs)
        value = self.validate_lookup_value(queryset.model, kwargs[lookup_key])
        obj = get_object_or_404(queryset, **{self.lookup_field: value})
        self.check_object_permissions(obj, **kwargs)
        return cast(Model, obj)

    def validate_lookup_value(self, model: type[Model], value: Any) -> Any:
        """The lookup value checked against the model field of ``lookup_field`` (400 naming the lookup key
        when it cannot be one: ``true``, ``1.5`` or ``"abc"`` for an integer primary key)."""
        convert = lookup_converter(model, self.lookup_field)
        if convert is None:
            return value
        try:
            if value is None:
                raise ValidationError([NULL_NOT_ALLOWED])
            return convert(value, self)
        except ValidationError as exc:
            raise ValidationError({self.get_lookup_key(): exc.detail}) from None

    def check_object_permissions(self, obj: Any, **kwargs: Any) -> None:
        """Raise ``PermissionDenied`` unless every permission's ``has_object_permission`` allows ``obj``."""
        if not overrides(type(self), _PERMISSIONS) and not any(
            needs_object_check(permission) for permission in self._default_permissions()
        ):
            return
        async_to_sync(self.acheck_object_permissions)(obj, **kwargs)

    async def acheck_object_permissions(self, obj: Any, **kwargs: Any) -> None:
        """Async form of :meth:`check_object_permissions`."""
        action = kwargs.pop("action", None) or ""
        for permission in await self.get_permissions(action=action, **kwargs):
            if not needs_object_check(permission):
                continue
            allowed = await call_permission(
                permission,
                "has_object_permission",
                **{**kwargs, "scope": self.scope, "consumer": self, "action": action, "obj": obj},
            )
            if not allowed:
                raise PermissionDenied()

    def get_serializer(self, action_kwargs: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> Any:
        """A serializer instance with :meth:`get_serializer_context` as its context."""
        action_kwargs = action_kwargs or {}
        serializer_class = self.get_serializer_class(**action_kwargs)
        kwargs["context"] = self.get_serializer_context(**action_kwargs)
        serializer = serializer_class(*args, **kwargs)
        made = made_serializers.get()
        if made is not None:
            made.append(serializer)
        return serializer

    def get_serializer_class(self, **kwargs: Any) -> type[BaseSerializer[Any]]:
        """The serializer class; override to choose one per action or user."""
        if self.serializer_class is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__} should either include a `serializer_class` attribute, "
                "or override the `get_serializer_class()` method."
            )
        return self.serializer_class

    def get_serializer_context(self, **kwargs: Any) -> dict[str, Any]:
        """Serializer context: ``scope``, ``consumer``, ``view`` and a ``request`` built from the scope."""
        return {"scope": self.scope, "consumer": self, "view": self, "request": self.http_request}

    @property
    def http_request(self) -> Any:
        """An ``HttpRequest`` describing this connection (built once), for serializers and DRF code."""
        request = self.__dict__.get("_http_request")
        if request is None:
            request = self.__dict__["_http_request"] = request_from_scope(self.scope)
        return request

    def filter_queryset(self, queryset: QuerySet[Any], **kwargs: Any) -> QuerySet[Any]:
        """Apply ``filter_backends``, which read their parameters from the message's keys."""
        backends = self.filter_backends
        if not backends:
            return queryset
        request = request_for_message(self.scope, kwargs)
        for backend_class in backends:
            backend = backend_class()
            if isinstance(backend, SearchFilter) and not _has_search_terms(backend, request):
                continue
            queryset = backend.filter_queryset(request, queryset, self)
        return queryset


def _has_search_terms(backend: SearchFilter, request: Any) -> bool:
    """Whether a search parameter holds any term: one of only separators (``","``) is no search.

    DRF 3.15.0's ``SearchFilter`` fails on such a value (it checks the raw value for emptiness, then
    reduces over the terms split from it); later releases return the queryset unfiltered, as we do here.
    """
    terms: Any = backend.get_search_terms(request)
    if isinstance(terms, str):  # DRF 3.15.0 returns the raw value and splits it later
        split = getattr(drf_filters, "search_smart_split", None)
        terms = split(terms) if split is not None else terms.split()
    return any(True for _ in terms)


# What this module offers; DCRF 1.3's names are kept too, so `from ... import *` gives what it gave.
__all__ = [
    "Any",
    "AsyncAPIConsumer",
    "Dict",
    "GenericAsyncAPIConsumer",
    "Model",
    "Optional",
    "QuerySet",
    "Serializer",
    "Type",
    "get_object_or_404",
    "made_serializers",
]
