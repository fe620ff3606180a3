"""Exceptions raised by the library, and the one mapping from exceptions to reply errors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext_lazy as _  # noqa: F401  (DCRF 1.3 exposed it here)
from rest_framework import status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.exceptions import MethodNotAllowed as MethodNotAllowed

SERVER_ERROR_MESSAGE = "A server error occurred."
NOT_FOUND_MESSAGE = "Not found"
CONFLICT_MESSAGE = "The request conflicts with the current state of the database."
BAD_REQUEST_MESSAGE = "Bad request."
OUT_OF_RANGE_MESSAGE = "A value is out of range for the database."


class ActionMissingException(APIException):
    """The message has no ``action`` key."""

    status_code = status.HTTP_405_METHOD_NOT_ALLOWED
    default_detail = "Unable to find action in message body."
    default_code = "method_not_allowed"


class MessageTooLarge(APIException):
    """The frame is larger than ``MAX_MESSAGE_SIZE``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Message is too large."
    default_code = "message_too_large"


class TooManyDetachedTasks(APIException):
    """The connection already runs ``MAX_DETACHED_TASKS`` detached tasks."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many detached actions are running on this connection; wait for one to finish."
    default_code = "too_many_detached_tasks"


class TooManySubscriptions(APIException):
    """The connection already joined ``MAX_SUBSCRIPTIONS_PER_CONNECTION`` groups."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many subscriptions on this connection; unsubscribe from something first."
    default_code = "too_many_subscriptions"


class ChannelLayerUnavailable(APIException):
    """The channel layer (Redis) did not answer a group join in ``SUBSCRIBE_TIMEOUT`` seconds."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Subscriptions are unavailable right now (the channel layer does not answer); try again later."
    default_code = "channel_layer_unavailable"


class AuthenticationFailed(APIException):
    """A token sent to authenticate a connection is unknown or belongs to an inactive user."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Invalid token."
    default_code = "authentication_failed"


def format_errors(errors: Any) -> list[Any]:
    """Shape an exception's detail as the ``errors`` list of a reply."""
    if isinstance(errors, list):
        return errors
    if isinstance(errors, (str, dict)):
        return [errors]
    return []


def _django_validation_errors(exc: DjangoValidationError) -> list[Any]:
    if hasattr(exc, "error_dict"):
        return [exc.message_dict]
    return list(exc.messages)


def errors_for_exception(exc: BaseException) -> tuple[list[Any], int] | None:
    """Return ``(errors, status)`` for an exception a client may see, or ``None`` for a server bug.

    This is the single place that decides how an exception looks on the wire.
    """
    if isinstance(exc, APIException):
        return format_errors(exc.detail), exc.status_code
    if isinstance(exc, Http404) or (isinstance(exc, type) and issubclass(exc, Http404)):
        return [NOT_FOUND_MESSAGE], status.HTTP_404_NOT_FOUND
    if isinstance(exc, ObjectDoesNotExist):
        return [NOT_FOUND_MESSAGE], status.HTTP_404_NOT_FOUND
    if isinstance(exc, DjangoPermissionDenied):
        return [str(PermissionDenied.default_detail)], status.HTTP_403_FORBIDDEN
    if isinstance(exc, DjangoValidationError):
        return _django_validation_errors(exc), status.HTTP_400_BAD_REQUEST
    if isinstance(exc, IntegrityError):
        return [CONFLICT_MESSAGE], status.HTTP_409_CONFLICT
    if isinstance(exc, (DataError, OverflowError)):
        # A client's number too large for a column or a lookup (Django 4.2 passes lookups like
        # value=10**20 to the database, whose driver refuses them).
        return [OUT_OF_RANGE_MESSAGE], status.HTTP_400_BAD_REQUEST
    if isinstance(exc, SuspiciousOperation):  # e.g. DisallowedHost; Django answers these with 400 too
        return [BAD_REQUEST_MESSAGE], status.HTTP_400_BAD_REQUEST
    return None


class InvalidActionResult(APIException):
    """An action returned neither ``(data, status)`` nor ``None``: a server bug, answered with 500
    (the warning naming the action and its result is logged where it is raised)."""

    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = SERVER_ERROR_MESSAGE
    default_code = "invalid_action_result"


#: What a subscription needs and what to configure when it is missing.
NO_CHANNEL_LAYER_MESSAGE = (
    "No channel layer is configured, so this consumer cannot join groups (subscriptions and observers "
    "need one). Set CHANNEL_LAYERS in your settings: "
    '{"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}} for a single process, or '
    "channels_redis.core.RedisChannelLayer for several."
)


# What this module offers; DCRF 1.3's names are kept too, so `from ... import *` gives what it gave.
__all__ = [
    "BAD_REQUEST_MESSAGE",
    "CONFLICT_MESSAGE",
    "NOT_FOUND_MESSAGE",
    "NO_CHANNEL_LAYER_MESSAGE",
    "OUT_OF_RANGE_MESSAGE",
    "SERVER_ERROR_MESSAGE",
    "APIException",
    "ActionMissingException",
    "AuthenticationFailed",
    "ChannelLayerUnavailable",
    "InvalidActionResult",
    "MessageTooLarge",
    "MethodNotAllowed",
    "TooManyDetachedTasks",
    "TooManySubscriptions",
    "errors_for_exception",
    "format_errors",
    "status",
]
