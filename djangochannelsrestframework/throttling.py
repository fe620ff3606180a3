"""Rate limits for consumers, in the manner of DRF's throttling.

A consumer's ``throttle_classes`` (default: the ``DEFAULT_THROTTLE_CLASSES`` setting) are asked
before every action, after the permissions (see ``AsyncAPIConsumer.initial``); a refused action
gets a 429 reply saying how many seconds to wait.  Rates such as ``"10/min"`` come from the
throttle's ``rate`` or from ``DEFAULT_THROTTLE_RATES[scope]``, and the request history lives in
Django's cache, so processes that share a cache (Redis) share the limit.  Throttles may also refuse
connection attempts (:meth:`BaseThrottle.allow_connection`).

DRF throttle classes (``rest_framework.throttling``) can be listed too; they see an ``HttpRequest``
built from the scope and the consumer as the view.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import sync_to_async
from django.core.cache import BaseCache, caches
from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling as drf_throttling
from rest_framework.exceptions import Throttled

from .scope_utils import request_from_scope
from .settings import api_settings
from .types import Scope

_DRF_IDENT = drf_throttling.BaseThrottle()


def client_ident(scope: Scope) -> str:
    """The client's address as DRF identifies it (``X-Forwarded-For`` with ``NUM_PROXIES``, else the peer)."""
    request: Any = request_from_scope(scope)  # DRF's code reads only ``META`` here
    return str(_DRF_IDENT.get_ident(request))


def user_or_ident(scope: Scope) -> str:
    """``user-<pk>`` for an authenticated user, else ``ip-<address>``."""
    user = scope.get("user")
    if user is not None and getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is not None:
        return f"user-{user.pk}"
    return f"ip-{client_ident(scope)}"


class BaseThrottle:
    """Base class of consumer throttles: override :meth:`allow_request` (and :meth:`wait`)."""

    async def allow_request(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        """Whether ``action`` may run now."""
        raise NotImplementedError(".allow_request() must be overridden")

    async def allow_connection(self, scope: Scope, consumer: Any) -> bool:
        """Whether a connection attempt may succeed; every attempt is allowed unless overridden."""
        return True

    def wait(self) -> float | None:
        """Seconds until the refused request would be allowed, if known."""
        return None


class SimpleRateThrottle(BaseThrottle):
    """A fixed number of requests per period, per cache key; the history is a list of times in the cache.

    Subclasses give :meth:`get_cache_key` (``None`` means "not throttled").  ``timer`` is the clock
    (replace it in tests), ``cache_alias`` the Django cache to use.
    """

    cache_alias: str = "default"
    timer: Callable[[], float] = time.time
    cache_format = "dcrf_throttle_%(scope)s_%(ident)s"
    scope: str | None = None
    rate: str | None = None
    #: ``True``: count connection attempts (``allow_connection``) instead of actions.
    throttles_connections: bool = False

    def __init__(self) -> None:
        if self.rate is None:
            self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.history: list[float] = []
        self.now = 0.0

    @property
    def cache(self) -> BaseCache:
        return caches[self.cache_alias]

    def get_rate(self) -> str | None:
        """The rate of :attr:`scope` in ``DEFAULT_THROTTLE_RATES``."""
        if not self.scope:
            raise ImproperlyConfigured(f"You must set either `.scope` or `.rate` for '{type(self).__name__}' throttle")
        try:
            rate: str | None = api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(f"No default throttle rate set for '{self.scope}' scope") from None
        return rate

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        """``"10/min"`` -> ``(10, 60)``; the period is the first letter of s, m, h or d."""
        if rate is None:
            return None, None
        num, period = rate.split("/")
        return int(num), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]

    def get_cache_key(self, scope: Scope, consumer: Any, action: str | None) -> str | None:
        """The key whose history is counted; ``action`` is ``None`` for a connection attempt."""
        raise NotImplementedError(".get_cache_key() must be overridden")

    async def allow_request(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        if self.throttles_connections:
            return True
        return await self._count(scope, consumer, action)

    async def allow_connection(self, scope: Scope, consumer: Any) -> bool:
        if not self.throttles_connections:
            return True
        return await self._count(scope, consumer, None)

    async def _count(self, scope: Scope, consumer: Any, action: str | None) -> bool:
        if self.rate is None or self.num_requests is None or self.duration is None:
            return True
        key = self.get_cache_key(scope, consumer, action)
        if key is None:
            return True
        return bool(await sync_to_async(self._record, thread_sensitive=False)(key, self.num_requests, self.duration))

    def _record(self, key: str, num_requests: int, duration: int) -> bool:
        self.now = now = self.timer()
        history: list[float] = self.cache.get(key, [])
        while history and history[-1] <= now - duration:
            history.pop()
        self.history = history
        if len(history) >= num_requests:
            return False
        history.insert(0, now)
        self.cache.set(key, history, duration)
        return True

    def wait(self) -> float | None:
        if self.num_requests is None or self.duration is None:
            return None
        remaining = self.duration - (self.now - self.history[-1]) if self.history else self.duration
        available = self.num_requests - len(self.history) + 1
        if available <= 0:
            return None
        return remaining / float(available)


class AnonRateThrottle(SimpleRateThrottle):
    """Anonymous clients, per address (``anon`` rate); authenticated users are not limited."""

    scope = "anon"

    def get_cache_key(self, scope: Scope, consumer: Any, action: str | None) -> str | None:
        user = scope.get("user")
        if user is not None and getattr(user, "is_authenticated", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_ident(scope)}


class UserRateThrottle(SimpleRateThrottle):
    """Each user (anonymous clients: each address) across all their connections (``user`` rate)."""

    scope = "user"

    def get_cache_key(self, scope: Scope, consumer: Any, action: str | None) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": user_or_ident(scope)}


class ConnectionRateThrottle(SimpleRateThrottle):
    """Each connection on its own (``connection`` rate): one busy socket cannot starve the user's others."""

    scope = "connection"

    def get_cache_key(self, scope: Scope, consumer: Any, action: str | None) -> str | None:
        return self.cache_format % {
            "scope": self.scope,
            "ident": getattr(consumer, "channel_name", None) or id(consumer),
        }


class ActionRateThrottle(SimpleRateThrottle):
    """Per action and user: the rate of the action's scope, ``@action(throttle_scope="uploads")`` or
    the consumer's ``throttle_scope``; actions without a scope are not limited."""

    def __init__(self) -> None:  # the rate depends on the action, so it is read per call
        self.history = []
        self.now = 0.0
        self.num_requests = self.duration = None

    async def allow_request(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        self.scope = action_throttle_scope(consumer, action)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return await self._count(scope, consumer, action)

    def get_cache_key(self, scope: Scope, consumer: Any, action: str | None) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": user_or_ident(scope)}


class ConnectRateThrottle(SimpleRateThrottle):
    """Connection attempts per user (anonymous clients: per address), ``connect`` rate; refused
    attempts fail the handshake."""

    scope = "connect"
    throttles_connections = True

    def get_cache_key(self, scope: Scope, consumer: Any, action: str | None) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": user_or_ident(scope)}


def action_throttle_scope(consumer: Any, action: str) -> str | None:
    """The throttle scope of ``action``: its ``@action(throttle_scope=...)``, else the consumer's."""
    method_name = getattr(consumer, "available_actions", {}).get(action)
    method = getattr(type(consumer), method_name, None) if method_name else None
    scope = (getattr(method, "kwargs", None) or {}).get("throttle_scope")
    return scope or getattr(consumer, "throttle_scope", None)


class WrappedDRFThrottle(BaseThrottle):
    """Runs a DRF throttle against an ``HttpRequest`` built from the scope (the consumer is the view)."""

    def __init__(self, throttle: drf_throttling.BaseThrottle) -> None:
        self.throttle = throttle

    async def allow_request(self, scope: Scope, consumer: Any, action: str, **kwargs: Any) -> bool:
        request: Any = request_from_scope(scope)
        return bool(await sync_to_async(self.throttle.allow_request, thread_sensitive=False)(request, consumer))

    def wait(self) -> float | None:
        wait: float | None = self.throttle.wait()
        return wait


def as_consumer_throttle(throttle: Any) -> Any:
    """A throttle instance with our interface (DRF throttles are wrapped)."""
    if isinstance(throttle, drf_throttling.BaseThrottle):
        return WrappedDRFThrottle(throttle)
    return throttle


async def check_throttles(throttles: Iterable[Any], scope: Scope, consumer: Any, action: str) -> None:
    """Ask every throttle; when any refuses, raise DRF's ``Throttled`` with the longest wait (a 429 reply)."""
    waits: list[float | None] = []
    refused = False
    for throttle in throttles:
        if not await throttle.allow_request(scope, consumer, action):
            refused = True
            waits.append(throttle.wait())
    if refused:
        known = [wait for wait in waits if wait is not None]
        raise Throttled(wait=max(known) if known else None)


async def allow_connection(throttles: Iterable[Any], scope: Scope, consumer: Any) -> bool:
    """Whether every throttle lets a connection attempt through (each counts the attempt)."""
    allowed = True
    for throttle in throttles:
        allow = getattr(throttle, "allow_connection", None)
        if allow is not None and not await allow(scope, consumer):
            allowed = False
    return allowed


#: DRF's name for a throttle whose rate is chosen by a scope.
ScopedRateThrottle = ActionRateThrottle


__all__ = [
    "ActionRateThrottle",
    "AnonRateThrottle",
    "BaseThrottle",
    "ConnectRateThrottle",
    "ConnectionRateThrottle",
    "ScopedRateThrottle",
    "SimpleRateThrottle",
    "UserRateThrottle",
    "WrappedDRFThrottle",
    "action_throttle_scope",
    "allow_connection",
    "as_consumer_throttle",
    "check_throttles",
    "client_ident",
    "user_or_ident",
]
