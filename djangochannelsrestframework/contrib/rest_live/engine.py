"""How django-rest-live subscriptions ride the observer package's live-subscription engine
(:mod:`djangochannelsrestframework.observer.live`, the one live lists use; docs/delivery.rst).

* Each observed model has one batching
  :class:`~djangochannelsrestframework.observer.model_observer.ModelObserver`, bound like every other
  observer (:func:`~djangochannelsrestframework.observer.binding.shared_observer`): a commit sends one
  channel-layer message naming every changed row, after the transaction commits (a rollback sends nothing).
* Each subscription is a :class:`~djangochannelsrestframework.observer.live.LiveSubscription`: evaluated
  once per cohort and committed batch, its events framed in rest-live's protocol by the consumer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import Model

from ...observer.binding import GenericModelObserver, shared_observer
from ...observer.live import ListOutcome
from ...observer.model_observer import ModelObserver, json_pk
from ...observer.sharing import encode_payload
from ...types import Message


async def rest_live_changes(consumer: Any, message: Message, **kwargs: Any) -> None:
    """Names the channel-layer message type (``rest.live.changes``); consumers handle it themselves."""


_changes = GenericModelObserver(rest_live_changes, batch_changes=True)


def observer_for(model: type[Model]) -> ModelObserver:
    """The one batching observer of ``model`` for every rest-live subscription of this process."""
    return shared_observer(_changes, model, f"rest_live.{model._meta.label}")


def params_key(*values: Any) -> str:
    """A hashable, order-independent key for JSON-like subscription parameters."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


def changed_pks(message: Message) -> list[Any]:
    """The distinct primary keys of a batch message, in the order they first changed."""
    body = message.get("body") or {}
    return list(dict.fromkeys(change[0] for change in body.get("changes", ())))


def outcome_of(
    pks: list[Any],
    visible: Sequence[Model],
    data: Sequence[Any],
    encode: Callable[[Any], str | None] = encode_payload,
) -> ListOutcome:
    """The outcome of a batch for one stream: ``visible`` rows serialized as ``data``, encoded once
    with ``encode``."""
    rows = {json_pk(instance.pk): (row, encode(row)) for instance, row in zip(visible, data, strict=True)}
    return ListOutcome(pks, rows)


__all__ = [
    "changed_pks",
    "observer_for",
    "outcome_of",
    "params_key",
    "rest_live_changes",
]
