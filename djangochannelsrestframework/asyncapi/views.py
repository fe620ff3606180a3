"""A view serving the AsyncAPI document of ``settings.ASGI_APPLICATION`` as JSON."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string

from .document import build_document


def asyncapi_document(request: HttpRequest) -> JsonResponse:
    """The AsyncAPI 3.0 document of the project's websocket routes.

    Route it yourself (``path("asyncapi.json", asyncapi_document)``) behind whatever access control
    your API needs; the browsable API serves it to the users who may see that page.
    """
    application_path = getattr(settings, "ASGI_APPLICATION", None)
    application = import_string(application_path) if application_path else None
    document = build_document(application, title=application_path)
    return JsonResponse(document, json_dumps_params={"indent": 2})


__all__ = [
    "asyncapi_document",
]
