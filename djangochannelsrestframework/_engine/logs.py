"""What the library logs, and on which loggers.

* ``djangochannelsrestframework``: connections (connect, accept, refuse, disconnect), every
  action (name, request id, status, duration) at ``DEBUG``; bad action results at ``WARNING``;
  server errors with their traceback at ``ERROR``.
* ``djangochannelsrestframework.observer``: subscriptions, published changes and event
  deliveries (counts, never payloads) at ``DEBUG``; failed sends at ``ERROR``.

``INFO`` stays quiet.  The ``DEBUG`` records are built only when a caller has checked
:func:`debug_enabled`.  A consumer reads it once when its connection opens, so with ``DEBUG``
off an action costs one attribute read; a logging change applies to connections opened after it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Collection, Iterator
from contextvars import ContextVar
from typing import Any

from ..types import RequestId

logger = logging.getLogger("djangochannelsrestframework")
observer_logger = logging.getLogger("djangochannelsrestframework.observer")

_DEBUG = logging.DEBUG


def debug_enabled() -> bool:
    """Whether the library's ``DEBUG`` records are wanted."""
    return logger.isEnabledFor(_DEBUG)


def debug_clock() -> float | None:
    """A start time for :func:`log_action` when ``DEBUG`` records are wanted, else ``None``."""
    return time.perf_counter() if logger.isEnabledFor(_DEBUG) else None


def _consumer_name(consumer: Any) -> str:
    return type(consumer).__qualname__


def _path(consumer: Any) -> Any:
    scope = getattr(consumer, "scope", None) or {}
    return scope.get("path")


def log_connection(consumer: Any, event: str, detail: str = "") -> None:
    """A connection event (``connect``, ``accept``, ``refuse``, ``disconnect``) at ``DEBUG``."""
    if logger.isEnabledFor(_DEBUG):
        logger.debug("%s %s path=%s%s", event, _consumer_name(consumer), _path(consumer), detail)


def log_refusal(consumer: Any, permission: Any) -> None:
    """A permission's ``can_connect`` refused the handshake."""
    if logger.isEnabledFor(_DEBUG):
        log_connection(consumer, "refuse", f" by {type(permission).__qualname__}.can_connect")


def log_action(
    consumer: Any,
    action: Any,
    request_id: RequestId,
    started: float,
    result: Any = None,
    error: BaseException | None = None,
) -> None:
    """One action call: name, request id, reply status (``-`` when the action sent no reply) and duration."""
    status: Any = "-"
    if error is not None:
        from ..exceptions import errors_for_exception

        mapped = errors_for_exception(error)
        status = f"{mapped[1] if mapped is not None else 500} ({type(error).__qualname__})"
    elif isinstance(result, tuple) and len(result) == 2:
        status = result[1]
    elapsed = (time.perf_counter() - started) * 1000
    logger.debug(
        "action %s request_id=%r status=%s duration=%.2fms consumer=%s",
        action,
        request_id,
        status,
        elapsed,
        _consumer_name(consumer),
    )


def warn_invalid_result(action: Any, result: Any) -> None:
    """An action returned something that is neither ``(data, status)`` nor ``None``."""
    what = f"a tuple of {len(result)} items" if isinstance(result, tuple) else f"a {type(result).__qualname__}"
    text = repr(result)
    if len(text) > 200:
        text = text[:200] + "..."
    logger.warning(
        "Action %r returned %s (%s); return (data, status) to reply, or None when the action sends its own "
        "replies. The client got a 500 reply.",
        action,
        what,
        text,
    )


#: The request id a mixin keeps for the subscription it is making (instance subscriptions track
#: theirs outside the observer), for :func:`log_subscription`.
_subscribing_for: ContextVar[Any] = ContextVar("dcrf_subscribing_for", default=None)


@contextlib.contextmanager
def subscribing_for(request_id: RequestId) -> Iterator[None]:
    """Log the observer subscriptions made inside the block under ``request_id``."""
    token = _subscribing_for.set(request_id)
    try:
        yield
    finally:
        _subscribing_for.reset(token)


def log_subscription(consumer: Any, observer: Any, event: str, groups: int, request_id: RequestId = None) -> None:
    """A consumer joined (``subscribe``) or left (``unsubscribe``) an observer's groups."""
    if request_id is None:
        request_id = _subscribing_for.get()
    if observer_logger.isEnabledFor(_DEBUG):
        observer_logger.debug(
            "%s %s.%s groups=%d request_id=%r",
            event,
            _consumer_name(consumer),
            getattr(observer, "handler_name", observer),
            groups,
            request_id,
        )


def log_publish(messages: list[dict[str, Any]]) -> None:
    """Observer messages handed to the channel layer."""
    if observer_logger.isEnabledFor(_DEBUG):
        groups = len({message.get("group") for message in messages})
        observer_logger.debug("publish messages=%d groups=%d", len(messages), groups)


def log_delivery(consumer: Any, observer: Any, action: Any, request_ids: Collection[Any]) -> None:
    """An observer event reached a consumer's handler, for ``request_ids`` subscriptions."""
    # Instance subscriptions count their request ids themselves (log_instance_delivery).
    if observer_logger.isEnabledFor(_DEBUG) and getattr(observer, "generic_source", None) is None:
        observer_logger.debug(
            "event %s.%s action=%s request_ids=%d",
            _consumer_name(consumer),
            observer.handler_name,
            action or "-",
            len([request_id for request_id in request_ids if request_id is not None]),
        )


def log_instance_delivery(consumer: Any, action: Any, request_ids: Collection[Any]) -> None:
    """An instance-subscription event reached a consumer, for ``request_ids`` subscriptions."""
    if observer_logger.isEnabledFor(_DEBUG):
        observer_logger.debug(
            "event %s.handle_instance_change action=%s request_ids=%d",
            _consumer_name(consumer),
            action,
            len(request_ids),
        )
