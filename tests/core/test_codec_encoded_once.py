"""``EncodedOnce``: copies of one event body share its JSON text, and every frame carrying a copy is
byte-for-byte the frame the copy's own content gives, also after a handler changed its copy."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from djangochannelsrestframework import codec
from djangochannelsrestframework.codec import EncodedOnce, SharedText
from djangochannelsrestframework.observer.utils import ObservedBody

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),  # beyond 64 bits: orjson refuses, the standard library encodes
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),  # lone surrogates included
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)
bodies = st.dictionaries(st.text(max_size=5), values, max_size=5)


@contextmanager
def sharing_every_text() -> Iterator[None]:
    """Share texts of any length (by default only long ones are worth it), so small bodies test it."""
    threshold = codec.SHARE_TEXT_FROM
    codec.SHARE_TEXT_FROM = 0
    try:
        yield
    finally:
        codec.SHARE_TEXT_FROM = threshold


def frame(data: Any, request_id: Any = 1) -> str:
    return codec.dumps({"errors": [], "data": data, "action": "update", "request_id": request_id})


@settings(max_examples=200, deadline=None)
@given(bodies, st.one_of(st.integers(), st.integers(2**64, 2**70), st.text(max_size=5)))
def test_copies_encode_as_their_content(body, request_id):
    with sharing_every_text():
        shared = SharedText(body)
        first, second = ObservedBody.copy_of(shared), ObservedBody.copy_of(shared)
        assert frame(first, request_id) == frame(dict(body), request_id)
        assert frame(second, request_id) == frame(dict(body), request_id)
        assert codec.dumps(first) == codec.dumps(dict(body))


@settings(max_examples=100, deadline=None)
@given(bodies, st.text(max_size=5), values)
def test_a_changed_copy_encodes_its_own_content(body, key, value):
    with sharing_every_text():
        shared = SharedText(body)
        frame(ObservedBody.copy_of(shared))  # the shared text exists
        changed = ObservedBody.copy_of(shared)
        changed[key] = value
        assert frame(changed) == frame({**body, key: value})
        removed = ObservedBody.copy_of(shared)
        removed.pop(next(iter(body), None), None)
        assert frame(removed) == frame(dict(removed))
        assert frame(ObservedBody.copy_of(shared)) == frame(dict(body))


def test_equal_values_that_encode_differently_are_not_taken_for_the_original():
    with sharing_every_text():
        body = {"a": 1, "b": "x"}
        shared = SharedText(body)
        frame(ObservedBody.copy_of(shared))
        for changed, expected in (({"a": True}, '{"a":true,"b":"x"}'), ({"a": 1.0}, '{"a":1.0,"b":"x"}')):
            copy = ObservedBody.copy_of(shared)
            copy.update(changed)
            assert codec.dumps(copy) == expected
        reordered = ObservedBody.copy_of(shared)
        reordered["a"] = reordered.pop("a")
        assert codec.dumps(reordered) == '{"b":"x","a":1}'


def test_the_text_is_encoded_once_and_reused():
    with sharing_every_text():
        body = OrderedDict([("b", Decimal("1.50")), ("a", [1, 2])])
        shared = SharedText(body)
        assert (
            frame(ObservedBody.copy_of(shared))
            == '{"errors":[],"data":{"b":"1.50","a":[1,2]},"action":"update","request_id":1}'
        )
        assert shared.text == '{"b":"1.50","a":[1,2]}'
        shared.text = '{"reused":true}'
        assert (
            frame(ObservedBody.copy_of(shared))
            == '{"errors":[],"data":{"reused":true},"action":"update","request_id":1}'
        )


def test_a_plain_copy_encodes_without_sharing():
    assert codec.dumps({"data": EncodedOnce({"a": 1})}) == '{"data":{"a":1}}'
    assert codec.dumps(ObservedBody({"a": 1}).data) == '{"a":1}'


def test_only_long_texts_are_shared():
    short = SharedText({"id": 1, "name": "row"})
    frame(ObservedBody.copy_of(short))
    assert short.worth_sharing is False
    long = SharedText({"rows": [{"id": number, "name": f"row {number}"} for number in range(200)]})
    first = frame(ObservedBody.copy_of(long))
    assert long.worth_sharing is True and len(long.text or "") >= codec.SHARE_TEXT_FROM
    assert frame(ObservedBody.copy_of(long)) == first == frame(dict(long.source))
