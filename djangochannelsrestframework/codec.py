"""JSON encoding and decoding of websocket frames.

orjson does the work: it is several times faster than the standard library and
natively handles plain dict, list, str, int and float, plus datetime, date, time
and UUID.  ``_default`` covers the rest (Decimal, lazy translation strings, sets,
...).  Integers beyond 64 bits, which orjson refuses to encode and rounds to
floats when decoding, are left to the standard library.

Subclasses of dict, list, str, int and float encode exactly as the standard
library (and so DCRF) encodes them: a dict subclass through its ``items()`` (a
``QueryDict`` gives each key's last value, an ``OrderedDict`` its own order), the
others from the value they hold.  orjson would read a dict subclass's storage, so
it passes subclasses to ``_default`` (``OPT_PASSTHROUGH_SUBCLASS``); plain types
never get there.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.functional import Promise

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS

DecodeError = orjson.JSONDecodeError

#: Deepest nesting a decoded frame may have.  orjson encodes at most 255 levels, so this leaves
#: room for the reply envelope and for actions that wrap what they were sent.
MAX_DEPTH = 128

#: orjson turns integers beyond 64 bits into floats; a run of 19+ digits may be one of them.
_LONG_NUMBER = re.compile(r"[0-9]{19}")
_LONG_NUMBER_BYTES = re.compile(rb"[0-9]{19}")


#: Bodies encoding to fewer characters are encoded per frame: for them orjson is quicker than
#: checking that a copy is unchanged.
SHARE_TEXT_FROM = 2048


class SharedText:
    """The JSON text of one dict, encoded once for all of its copies that still equal it (the same
    event body handed to many sockets): see :class:`EncodedOnce`.  ``worth_sharing`` turns false once
    the text proved short (or not encodable by orjson alone)."""

    __slots__ = ("source", "text", "worth_sharing")

    def __init__(self, source: dict[Any, Any]) -> None:
        self.source = source
        self.text: str | None = None
        self.worth_sharing = True

    def fragment(self, copy: dict[Any, Any]) -> orjson.Fragment | None:
        """The shared text for ``copy``, or ``None`` if ``copy`` was changed or sharing does not pay."""
        if not self.worth_sharing or not _same_items(copy, self.source):
            return None
        if self.text is None:
            try:
                self.text = orjson.dumps(dict(self.source.items()), default=_default, option=_OPTIONS).decode()
            except orjson.JSONEncodeError:
                self.text = ""  # left to dumps' standard-library fallback, frame by frame
            self.worth_sharing = bool(self.text) and len(self.text) >= SHARE_TEXT_FROM
        return orjson.Fragment(self.text) if self.text else None


def _same_items(copy: dict[Any, Any], source: dict[Any, Any]) -> bool:
    """Whether ``copy`` holds the very keys and values of ``source``, in its order: equal values may
    still encode differently (``1``, ``1.0`` and ``True``)."""
    if len(copy) != len(source):
        return False
    for (key, value), (source_key, source_value) in zip(dict.items(copy), source.items(), strict=True):
        if key is not source_key or value is not source_value:
            return False
    return True


class EncodedOnce(dict[str, Any]):
    """A dict that, made by :meth:`copy_of`, encodes to the :class:`SharedText` of its original (the
    text every equal copy shares) while it holds the original's very keys and values, in order; a copy
    that was changed is encoded on its own.  Values are compared by identity, not encoded again: a
    nested value changed in place (which the copies share anyway) is not detected."""

    _shared: SharedText | None = None

    @classmethod
    def copy_of(cls, shared: SharedText) -> Any:
        """A shallow copy of ``shared.source`` that encodes to the shared text."""
        copy = cls(shared.source)
        copy._shared = shared
        return copy


def _default(value: Any) -> Any:
    # Subclasses of the JSON types, as the standard library's encoder reads them.
    if isinstance(value, dict):
        shared = value._shared if isinstance(value, EncodedOnce) else None
        if shared is not None:
            fragment = shared.fragment(value)
            if fragment is not None:
                return fragment
        return dict(value.items())
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class _FallbackEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return _default(o)


#: orjson refusals the standard library copes with: big integers, lone surrogates, deep nesting.
_STDLIB_CAN_ENCODE = ("Integer exceeds 64-bit range", "surrogates not allowed", "Recursion limit reached")


def dumps(content: Any) -> str:
    """Encode ``content`` as a JSON text frame."""
    try:
        return orjson.dumps(content, default=_default, option=_OPTIONS).decode()
    except orjson.JSONEncodeError as exc:
        # Big integers and lone surrogates (both valid in JSON input) are left to the standard library.
        message = str(exc)
        if not any(reason in message for reason in _STDLIB_CAN_ENCODE):
            raise TypeError(message) from exc
        try:
            return json.dumps(content, cls=_FallbackEncoder, separators=(",", ":"))
        except RecursionError:
            raise TypeError("Content is nested too deeply to encode") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # as orjson: a number too large for a double is an error, not infinity
        raise ValueError(f"number is infinity when parsed as double: {text}")
    return value


def _nested_deeper_than(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _decode(text: str | bytes) -> Any:
    pattern: Any = _LONG_NUMBER if isinstance(text, str) else _LONG_NUMBER_BYTES
    if pattern.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise _stable_decode_error(text, exc) from None
    # Possibly an integer orjson would round to a float: keep it exact, as the standard library does.
    return _strict_stdlib_loads(text)


def _strict_stdlib_loads(text: str | bytes) -> Any:
    """The standard library's decoder, refusing what orjson refuses (NaN, infinities) and deep nesting."""
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError(f"JSON is nested deeper than {MAX_DEPTH} levels") from None


def _stable_decode_error(text: str | bytes, exc: orjson.JSONDecodeError) -> ValueError:
    """Why ``text`` is not JSON, in words that do not change between orjson releases.

    orjson's messages (and some of its positions) differ from release to release, and they reach
    clients in error replies: the standard library's wording and position are used instead.  Where
    the standard library accepts what orjson refused (a lone surrogate), orjson's reason is kept,
    without its position.  Only frames that failed pay for the second parse.
    """
    try:
        _strict_stdlib_loads(text)
    except ValueError as stdlib_error:
        return stdlib_error
    return ValueError(exc.msg.split(",")[0].strip())


def loads(text: str | bytes) -> Any:
    """Decode a JSON frame; raises a ``ValueError`` when it is not JSON or nested deeper than :data:`MAX_DEPTH`."""
    value = _decode(text)
    if isinstance(value, (dict, list)):
        opened = text.count("[") + text.count("{") if isinstance(text, str) else text.count(b"[") + text.count(b"{")
        if opened > MAX_DEPTH and _nested_deeper_than(value, MAX_DEPTH):
            raise ValueError(f"JSON is nested deeper than {MAX_DEPTH} levels")
    return value


__all__ = [
    "MAX_DEPTH",
    "SHARE_TEXT_FROM",
    "DecodeError",
    "EncodedOnce",
    "SharedText",
    "dumps",
    "loads",
]
