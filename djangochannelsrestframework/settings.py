"""Library settings, read from ``settings.DJANGO_CHANNELS_REST_API``.

Usage::

    from djangochannelsrestframework.settings import api_settings

    api_settings.PAGE_SIZE

Values are read lazily, cached, and dropped again whenever Django's
``setting_changed`` signal reports a change to ``DJANGO_CHANNELS_REST_API``
(for example under ``override_settings`` or pytest-django's ``settings``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from rest_framework.settings import perform_import

SETTING_NAME = "DJANGO_CHANNELS_REST_API"

DEFAULTS: dict[str, Any] = {
    # Kept for compatibility with DCRF; paginators fall back to it when PAGE_SIZE is unset.
    "DEFAULT_PAGE_SIZE": 25,
    "DEFAULT_PERMISSION_CLASSES": ("djangochannelsrestframework.permissions.AllowAny",),
    "DEFAULT_PAGINATION_CLASS": None,
    # Filter backends of generic consumers (DRF's SearchFilter, OrderingFilter, DjangoFilterBackend...).
    "DEFAULT_FILTER_BACKENDS": (),
    "PAGE_SIZE": None,
    # Frames larger than this many characters are refused with a 413 reply.  A frame one character
    # over it is at most 4 * 256_001 = 1_024_004 UTF-8 bytes, below the servers' own limits (Daphne
    # 1 MiB, uvicorn 16 MiB), so the server delivers it and the client gets the 413.
    "MAX_MESSAGE_SIZE": 256_000,
    # Detached tasks (``@action(detached=True)``, ``@detached``) one connection may run at once.
    "MAX_DETACHED_TASKS": 64,
    # Throttles every consumer asks before each action (see throttling.py), and their rates by scope.
    "DEFAULT_THROTTLE_CLASSES": (),
    "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None, "connection": None, "connect": None},
    # Channel-layer groups (distinct subscribed targets) one connection may join; more get 429.
    "MAX_SUBSCRIPTIONS_PER_CONNECTION": 1000,
    # Open connections of one authenticated user; more are closed with 4429.  Counted in Redis across
    # processes when the default channel layer is channels_redis's, else per process (see limits.py).
    "MAX_CONNECTIONS_PER_USER": 100,
    # Where MAX_CONNECTIONS_PER_USER counts: "auto", "process", "redis" or an import string of a class.
    "CONNECTION_COUNTER": "auto",
    # Seconds a connection counted in Redis stays counted unless its process refreshes it (every third
    # of this): how long the connections of a crashed process keep counting, at most.
    "CONNECTION_COUNT_TTL": 60.0,
    # Seconds a group join may wait for the channel layer before the client gets a 503 reply.
    "SUBSCRIBE_TIMEOUT": 5.0,
    # Reload the connection's user from the database before each subscription event, so a
    # deactivated user or a revoked permission stops deliveries at the next event.
    "RECHECK_USER_ON_EVENT": True,
    # Seconds one frame may wait for a client that stopped reading before its socket is closed (4408).
    "SEND_TIMEOUT": 30.0,
    # After many connections close, collect and give the allocator's free pages back to the system
    # (glibc malloc_trim), rate-limited; see djangochannelsrestframework._engine.memory.
    "TRIM_MEMORY_AFTER_CLOSE": False,
    # Callable (import string) turning a token into a user or None (see djangochannelsrestframework.auth).
    "TOKEN_AUTHENTICATOR": "djangochannelsrestframework.auth.authtoken_user",
}

IMPORT_STRINGS: tuple[str, ...] = (
    "DEFAULT_PERMISSION_CLASSES",
    "DEFAULT_PAGINATION_CLASS",
    "DEFAULT_FILTER_BACKENDS",
    "DEFAULT_THROTTLE_CLASSES",
    "TOKEN_AUTHENTICATOR",
)


class APISettings:
    """Attribute access to the library's settings with defaults and import strings resolved."""

    def __init__(
        self,
        user_settings: dict[str, Any] | None = None,
        defaults: dict[str, Any] | None = None,
        import_strings: tuple[str, ...] | list[str] | None = None,
    ) -> None:
        if user_settings is not None:
            self._user_settings = user_settings
        self.defaults = defaults or DEFAULTS
        self.import_strings = tuple(import_strings or IMPORT_STRINGS)
        self._cached_attrs: set[str] = set()

    @property
    def user_settings(self) -> dict[str, Any]:
        if not hasattr(self, "_user_settings"):
            self._user_settings = getattr(settings, SETTING_NAME, {}) or {}
        return self._user_settings

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_") or attr not in self.defaults:
            raise AttributeError(f"Invalid API setting: '{attr}'")
        value = self.user_settings.get(attr, self.defaults[attr])
        if attr in self.import_strings:
            value = perform_import(value, attr)
        self._cached_attrs.add(attr)
        setattr(self, attr, value)
        return value

    def reload(self) -> None:
        """Forget cached values so the next access reads Django settings again."""
        for attr in self._cached_attrs:
            delattr(self, attr)
        self._cached_attrs.clear()
        if hasattr(self, "_user_settings"):
            delattr(self, "_user_settings")


api_settings = APISettings(None, DEFAULTS, IMPORT_STRINGS)


class SettingDefault:
    """A class attribute that reads a library setting each time, so settings overrides apply
    (``permission_classes = SettingDefault("DEFAULT_PERMISSION_CLASSES")``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        return getattr(api_settings, self.name)


def reload_api_settings(*args: Any, **kwargs: Any) -> None:
    """``setting_changed`` receiver: reload when our setting changes."""
    if kwargs.get("setting") == SETTING_NAME:
        api_settings.reload()


setting_changed.connect(reload_api_settings)


# What this module offers; DCRF 1.3's names are kept too, so `from ... import *` gives what it gave.
__all__ = [
    "DEFAULTS",
    "IMPORT_STRINGS",
    "SETTING_NAME",
    "APISettings",
    "SettingDefault",
    "api_settings",
    "perform_import",
    "reload_api_settings",
    "setting_changed",
    "settings",
]
