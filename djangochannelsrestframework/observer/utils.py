"""Small helpers shared by the observers."""

from __future__ import annotations

import functools
import inspect
import json
from functools import partial as partial
from typing import Any

from ..codec import EncodedOnce
from ..types import RequestId


def _takes_consumer_first(method: Any) -> bool | None:
    """``True`` if ``consumer`` is the first parameter, ``False`` if it is keyword-only/**kwargs, ``None`` if absent."""
    try:
        params = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return None
    if params and params[0].name == "consumer" and params[0].kind is not inspect.Parameter.KEYWORD_ONLY:
        return True
    if any(p.name == "consumer" or p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return False
    return None


class ObjPartial(functools.partial[Any]):
    """An observer seen through a consumer instance: ``consumer.obs.subscribe(chat_id)`` calls
    ``obs.subscribe(consumer, chat_id)``.

    Calling it dispatches a channel-layer message to the observer for that consumer.  Methods
    whose first parameter is ``consumer`` get it positionally, so positional arguments of the
    caller never collide with it.
    """

    def __getattr__(self, name: str) -> Any:
        observer = self.func
        consumer = self.keywords["consumer"]
        attribute = getattr(observer, name)
        if not callable(attribute):
            return attribute
        where = _takes_consumer_first(attribute)
        if where is True:
            return functools.partial(attribute, consumer)
        if where is False:
            return functools.partial(attribute, consumer=consumer)
        return attribute


class HookSelf:
    """What ``self`` is inside a ``groups_for_consumer`` hook: the observer, falling back to the
    consumer, so both the DCRF form (``consumer=`` keyword) and the documented form
    (``self.scope["user"]``) work."""

    __slots__ = ("_consumer", "_observer")

    def __init__(self, observer: Any, consumer: Any) -> None:
        object.__setattr__(self, "_observer", observer)
        object.__setattr__(self, "_consumer", consumer)

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(self._observer, name)
        except AttributeError:
            return getattr(self._consumer, name)


class ObservedBody(EncodedOnce):
    """The message body a handler receives; ``.data`` returns the body itself, so handlers written for
    serializer hooks that return a serializer (``message.data``) keep working.  The sockets of a
    process that get the same event share its JSON text
    (see :class:`~djangochannelsrestframework.codec.EncodedOnce`)."""

    @property
    def data(self) -> dict[str, Any]:
        return self


class HashableRequestId:
    """A request id that Python cannot hash (a JSON object or array), wrapped so subscriptions can
    keep it in their sets; equal when the JSON values are equal."""

    __slots__ = ("_key", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        try:
            self._key: Any = json.dumps(value, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):  # not JSON (set by server code): only itself is equal
            self._key = ("identity", id(value))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HashableRequestId) and other._key == self._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"HashableRequestId({self.value!r})"


def request_id_key(request_id: RequestId) -> Any:
    """What a subscription stores for ``request_id``: the id itself, or a :class:`HashableRequestId`."""
    try:
        hash(request_id)
    except TypeError:
        return HashableRequestId(request_id)
    return request_id


def request_id_of(key: Any) -> Any:
    """The request id a key from :func:`request_id_key` stands for."""
    return key.value if isinstance(key, HashableRequestId) else key


# What this module offers; DCRF 1.3's names are kept too, so `from ... import *` gives what it gave.
__all__ = [
    "HashableRequestId",
    "HookSelf",
    "ObjPartial",
    "ObservedBody",
    "partial",
    "request_id_key",
    "request_id_of",
]
