"""The page of the browsable websocket API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.module_loading import import_string

from .discovery import discover_routes


def _allowed(request: HttpRequest) -> bool:
    if settings.DEBUG:
        return True
    user: Any = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def api_page(request: HttpRequest) -> HttpResponse:
    """List the project's websocket routes and let the user try their actions (DEBUG or staff only)."""
    if not _allowed(request):
        raise Http404("The browsable websocket API is available only with DEBUG on or to staff users.")
    application_path = getattr(settings, "ASGI_APPLICATION", None)
    routes = discover_routes(import_string(application_path)) if application_path else []
    return render(
        request,
        "djangochannelsrestframework/browsable_api.html",
        {"routes": [route.as_dict() for route in routes], "application_path": application_path},
    )


def asyncapi_json(request: HttpRequest) -> HttpResponse:
    """The AsyncAPI document of the routes the page lists, to the same users."""
    if not _allowed(request):
        raise Http404("The AsyncAPI document is available only with DEBUG on or to staff users.")
    from ..asyncapi.views import asyncapi_document

    return asyncapi_document(request)


__all__ = [
    "api_page",
    "asyncapi_json",
]
