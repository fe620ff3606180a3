"""How django-rest-live subscriptions ride the live-list delivery path (docs/delivery.rst).

* Each observed model has one :class:`~djangochannelsrestframework.observer.model_observer.ModelObserver`
  with ``batch_changes``: a commit sends one channel-layer message naming every changed row, after
  the transaction commits (a rollback sends nothing).
* A :class:`LiveSubscription` is registered in the process registry under its *cohort* (everything
  that decides what it sees).  For each committed batch, the first socket of a cohort to handle it
  runs ``evaluate`` once (one query) through :func:`~djangochannelsrestframework.observer.sharing.shared_result`;
  every other socket of the cohort reuses the result.
* Each subscription turns the shared :class:`~djangochannelsrestframework.observer.lists.ListOutcome`
  into events from the rows it already has, and frames them in its protocol.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

from channels.db import database_sync_to_async
from django.db.models import Model

from ...observer.base_observer import logger
from ...observer.binding import GenericModelObserver, shared_observer
from ...observer.delivery import registry
from ...observer.lists import ListFrame, ListOutcome
from ...observer.model_observer import ModelObserver, json_pk
from ...observer.sharing import encode_payload, shared_result

#: Evaluates a batch's changed primary keys for a cohort: one outcome per stream the subscription has.
Evaluate = Callable[[list[Any]], Sequence[ListOutcome]]
#: Sends one event of stream ``index`` to the subscription's socket.
Send = Callable[[int, ListFrame], Awaitable[None]]


async def rest_live_changes(consumer: Any, message: dict[str, Any], **kwargs: Any) -> None:
    """Names the channel-layer message type (``rest.live.changes``); consumers handle it themselves."""


_changes = GenericModelObserver(rest_live_changes, batch_changes=True)


def observer_for(model: type[Model]) -> ModelObserver:
    """The one batching observer of ``model`` for every rest-live subscription of this process."""
    return shared_observer(_changes, model, f"rest_live.{model._meta.label}")


def params_key(*values: Any) -> str:
    """A hashable, order-independent key for JSON-like subscription parameters."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


class LiveSubscription:
    """One subscription of a socket: its cohort, the group it listens to, the rows it has per stream,
    how its cohort evaluates a batch and how it frames events."""

    __slots__ = ("__weakref__", "cohort", "consumer", "evaluate", "group", "known", "on_step", "send")

    def __init__(
        self,
        consumer: Any,
        cohort: Hashable,
        group: str,
        evaluate: Evaluate,
        send: Send,
        on_step: Callable[[int, ListOutcome], None] | None = None,
    ) -> None:
        self.consumer = consumer
        self.cohort = cohort
        self.group = group
        self.evaluate = evaluate
        self.send = send
        #: Called with each stream's index and outcome after the subscription took its rows (before
        #: its events are sent).
        self.on_step = on_step
        self.known: list[frozenset[Any]] = []

    def start(self, known: list[frozenset[Any]]) -> None:
        """Register with the rows it has now; equal sets of cohort peers are shared, so peers in
        step compute their events once."""
        peers = registry.cohort(self.group, self.cohort)
        shared: list[frozenset[Any]] = []
        for index, rows in enumerate(known):
            match = next(
                (p.known[index] for p in peers if len(p.known) > index and p.known[index] == rows),
                rows,
            )
            shared.append(match)
        self.known = shared
        registry.add(self.group, self)

    def stop(self) -> None:
        registry.discard(self.group, self)


def changed_pks(message: dict[str, Any]) -> list[Any]:
    """The distinct primary keys of a batch message, in the order they first changed."""
    body = message.get("body") or {}
    return list(dict.fromkeys(change[0] for change in body.get("changes", ())))


async def deliver(subscriptions: Sequence[LiveSubscription], message: dict[str, Any]) -> None:
    """Send a committed batch to a socket's subscriptions, evaluating once per cohort and event."""
    pks = changed_pks(message)
    event = message.get("event")
    for subscription in subscriptions:
        compute = functools.partial(database_sync_to_async(subscription.evaluate), pks)
        try:
            if isinstance(event, str):
                outcomes = await shared_result(("rest_live", event, subscription.cohort), compute)
            else:
                outcomes = await compute()
        except Exception:
            logger.exception("Could not evaluate a rest-live subscription of %s", type(subscription.consumer).__name__)
            continue
        for index, outcome in enumerate(outcomes):
            frames, subscription.known[index] = outcome.step(subscription.known[index])
            if subscription.on_step is not None and frames:
                subscription.on_step(index, outcome)
            for frame in frames:
                await subscription.send(index, frame)


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
