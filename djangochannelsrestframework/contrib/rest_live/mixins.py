"""``RealtimeMixin``: marks a DRF generic view as one clients may subscribe to (django-rest-live 0.7).

The view itself is unchanged; :meth:`RealtimeMixin.from_scope` builds it for a websocket
subscriber the way a GET request would, so ``get_queryset``, filter backends, permissions and
``get_serializer`` run as they do over HTTP.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from django.utils.http import urlencode
from rest_framework.generics import GenericAPIView

from ...scope_utils import request_from_scope
from ...types import Scope
from .engine import observer_for


class RealtimeConfigurationError(ImproperlyConfigured, AssertionError):
    """A view that cannot be made realtime.  Also an ``AssertionError``: the type django-rest-live's
    own checks raised, so code that caught it keeps working."""


class RealtimeMixin:
    """Add to a DRF generic view (``GenericAPIView``, ``ListAPIView``, ``ModelViewSet``...) so a
    :class:`~.routers.RealtimeRouter` can serve subscriptions to it.

    The view needs a ``queryset`` attribute naming its model, even when ``get_queryset`` builds the
    real one: use ``queryset = Model.objects.none()`` as a sentinel then."""

    def get_model_class(self) -> type[Model]:
        """The model of the view's ``queryset`` attribute."""
        queryset = getattr(self, "queryset", None)
        if queryset is None:
            raise RealtimeConfigurationError(
                f"{type(self).__name__} has no `queryset` attribute, so its model is unknown; add one "
                f"(`queryset = Model.objects.none()` when `get_queryset()` builds the real queryset)."
            )
        model: type[Model] = queryset.model
        return model

    @classmethod
    def register_signal_handler(cls, dispatch_uid: str = "default") -> str:
        """Start observing the view's model; return its label (``app_label.ModelName``)."""
        if not (isinstance(cls, type) and issubclass(cls, GenericAPIView)):
            raise RealtimeConfigurationError(
                f"{cls.__name__} is not a Django REST framework generic view; RealtimeMixin needs a "
                f"GenericAPIView subclass (ListAPIView, RetrieveAPIView, a ModelViewSet...)."
            )
        model = cls().get_model_class()
        observer_for(model)
        return model._meta.label

    @classmethod
    def from_scope(
        cls, viewset_action: str, scope: Scope, view_kwargs: dict[str, Any], query_params: dict[str, Any]
    ) -> Any:
        """The view as a GET request of the websocket's handshake would set it up, with
        ``view_kwargs`` as URL keyword arguments and ``query_params`` as the query string."""
        view: Any = cls()
        view.format_kwarg = None
        view.action_map = {}
        view.args = ()
        view.kwargs = dict(view_kwargs)
        view.headers = {}
        request = request_from_scope({**scope, "query_string": urlencode(query_params, doseq=True).encode()})
        request.method = "GET"
        # The scope's user is the request's user: no authenticator runs per subscriber.
        request._force_auth_user = request.user  # type: ignore[attr-defined]
        view.request = view.initialize_request(request)
        view.action = viewset_action
        return view


__all__ = [
    "RealtimeConfigurationError",
    "RealtimeMixin",
]
