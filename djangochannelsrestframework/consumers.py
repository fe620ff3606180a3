"""The action consumer: decode a frame, check permissions, run the action, reply.

Every message a client sends is a JSON object ``{"action": ..., "request_id": ..., ...}``
and every reply has the same envelope::

    {"errors": [...], "data": ..., "action": ..., "response_status": 200, "request_id": ...}

Nothing a client sends can close the socket: bad frames, unknown actions and bad
arguments get a 4xx reply, and server bugs a 500 reply (the traceback goes to the log).

This is the module to import consumers from: :class:`AsyncAPIConsumer` (defined in ``_consumer``),
and, as DCRF 1.3 and the documentation have them here, ``GenericAsyncAPIConsumer``,
``DjangoViewAsConsumer`` and ``view_as_consumer``.  The other imports below keep every name DCRF
1.3's module exposed importable from it.
"""

from __future__ import annotations

import asyncio as asyncio
import json as json
import logging
import typing as typing
from collections import defaultdict as defaultdict
from functools import partial as partial
from functools import wraps as wraps
from typing import Any as Any
from typing import Dict as Dict  # noqa: UP035
from typing import List as List  # noqa: UP035
from typing import Set as Set  # noqa: UP035
from typing import Type as Type  # noqa: UP035

from channels.db import database_sync_to_async as database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer as AsyncJsonWebsocketConsumer
from django.http import Http404 as Http404
from django.http import HttpRequest as HttpRequest
from django.http import HttpResponse as HttpResponse
from django.template.response import SimpleTemplateResponse as SimpleTemplateResponse
from rest_framework.exceptions import APIException as APIException
from rest_framework.exceptions import MethodNotAllowed as MethodNotAllowed
from rest_framework.exceptions import PermissionDenied as PermissionDenied
from rest_framework.permissions import AND as AND
from rest_framework.permissions import NOT as NOT
from rest_framework.permissions import OR as OR
from rest_framework.permissions import BasePermission as DRFBasePermission
from rest_framework.response import Response as Response

from ._consumer import ANY_REQUEST_ID as ANY_REQUEST_ID
from ._consumer import APIConsumerMetaclass, AsyncAPIConsumer, envelope
from .exceptions import ActionMissingException as ActionMissingException
from .generics import GenericAsyncAPIConsumer
from .permissions import BasePermission as BasePermission
from .permissions import WrappedDRFPermission as WrappedDRFPermission
from .scope_utils import ensure_async as ensure_async
from .scope_utils import request_from_scope as request_from_scope
from .settings import api_settings as api_settings
from .view_consumer import DjangoViewAsConsumer, view_as_consumer

#: The library's logger (DCRF 1.3's name for it here).
logger = logging.getLogger("djangochannelsrestframework")

__all__ = [
    "AND",
    "NOT",
    "OR",
    "APIConsumerMetaclass",
    "APIException",
    "ActionMissingException",
    "Any",
    "AsyncAPIConsumer",
    "AsyncJsonWebsocketConsumer",
    "BasePermission",
    "DRFBasePermission",
    "Dict",
    "DjangoViewAsConsumer",
    "GenericAsyncAPIConsumer",
    "Http404",
    "HttpRequest",
    "HttpResponse",
    "List",
    "MethodNotAllowed",
    "PermissionDenied",
    "Response",
    "Set",
    "SimpleTemplateResponse",
    "Type",
    "WrappedDRFPermission",
    "api_settings",
    "asyncio",
    "database_sync_to_async",
    "defaultdict",
    "ensure_async",
    "envelope",
    "json",
    "logger",
    "logging",
    "partial",
    "request_from_scope",
    "typing",
    "view_as_consumer",
    "wraps",
]
