"""The one engine of list-shaped subscriptions: live lists (:mod:`.lists`) and the rest-live
compat layer are its clients, and differ only in how they evaluate a batch and frame an event.

* A :class:`LiveSubscription` is registered in the process registry (:mod:`.delivery`) under its
  *cohort* (everything that decides what it sees) for each group it listens to.
* For each committed batch, the first socket of a cohort to handle it runs the subscription's
  ``evaluate`` once (one query) through :func:`.sharing.shared_result`; every other socket of the
  cohort reuses the result.
* Each subscription turns the shared :class:`ListOutcome` of each of its streams into events from
  the rows it already has (:meth:`ListOutcome.step`) and hands them to its ``send``.

See docs/delivery.rst for the whole path.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, NamedTuple

from rest_framework import status

from .._engine.fanout import registry
from ..types import RequestId
from .base_observer import logger
from .sharing import encode_payload, shared_result


class ListFrame(NamedTuple):
    """One event for a subscriber, with its data already encoded (``text``) for every socket."""

    action: str
    data: Any
    text: str | None
    status: int


class ListOutcome:
    """What one committed batch means for one cohort: which changed rows are visible (with their
    serialized data and its JSON), and, per set of rows a subscriber already has, its events."""

    __slots__ = ("_deletes", "_steps", "pks", "rows")

    def __init__(self, pks: list[Any], rows: dict[Any, tuple[Any, str | None]]) -> None:
        self.pks = pks
        self.rows = rows
        self._steps: dict[frozenset[Any], tuple[list[ListFrame], frozenset[Any]]] = {}
        self._deletes: dict[Any, ListFrame] = {}

    def step(self, known: frozenset[Any]) -> tuple[list[ListFrame], frozenset[Any]]:
        """The events for a subscriber that has the rows ``known``, and the rows it has after them.

        Computed once per distinct ``known``: subscriptions in step share the result and the set."""
        cached = self._steps.get(known)
        if cached is not None:
            return cached
        frames: list[ListFrame] = []
        added: list[Any] = []
        removed: list[Any] = []
        for pk in self.pks:
            row = self.rows.get(pk)
            if row is not None:
                if pk in known:
                    frames.append(ListFrame("update", row[0], row[1], status.HTTP_200_OK))
                else:
                    frames.append(ListFrame("create", row[0], row[1], status.HTTP_200_OK))
                    added.append(pk)
            elif pk in known:
                frames.append(self._delete(pk))
                removed.append(pk)
        after = known.difference(removed).union(added) if added or removed else known
        self._steps[known] = (frames, after)
        return frames, after

    def _delete(self, pk: Any) -> ListFrame:
        frame = self._deletes.get(pk)
        if frame is None:
            data = {"pk": pk}
            frame = self._deletes[pk] = ListFrame("delete", data, encode_payload(data), status.HTTP_204_NO_CONTENT)
        return frame


#: Evaluates a batch's changed primary keys for a cohort: one outcome per stream of the subscription.
Evaluate = Callable[[list[Any]], Awaitable[Sequence[ListOutcome]]]
#: Sends the events of one batch for stream ``index`` to the subscription's socket, in order.
Send = Callable[[int, list[ListFrame]], Awaitable[None]]


class LiveSubscription:
    """One subscription of a socket: its cohort, the groups it listens to, the rows it has per
    stream, how its cohort evaluates a batch and how it frames events: through ``send``, or, without
    one, as the consumer's standard replies (``reply_encoded``) under ``request_id``."""

    __slots__ = ("__weakref__", "cohort", "consumer", "evaluate", "groups", "known", "on_step", "request_id", "send")

    def __init__(
        self,
        consumer: Any,
        cohort: Hashable,
        groups: Sequence[str],
        evaluate: Evaluate,
        send: Send | None = None,
        on_step: Callable[[int, ListOutcome], None] | None = None,
        request_id: RequestId = None,
    ) -> None:
        self.consumer = consumer
        self.cohort = cohort
        self.groups = groups
        self.evaluate = evaluate
        self.send = send
        self.request_id = request_id
        #: Called with each stream's index and outcome after the subscription took its rows (before
        #: its events are sent), when the batch has events for it.
        self.on_step = on_step
        self.known: list[frozenset[Any]] = []

    def start(self, known: list[frozenset[Any]]) -> None:
        """Register with the rows it has now; equal sets of cohort peers are shared, so peers in
        step compute their events once."""
        peers = [peer for group in self.groups for peer in registry.cohort(group, self.cohort)]
        shared: list[frozenset[Any]] = []
        for index, rows in enumerate(known):
            match = next(
                (p.known[index] for p in peers if len(p.known) > index and p.known[index] == rows),
                rows,
            )
            shared.append(match)
        self.known = shared
        for group in self.groups:
            registry.add(group, self)

    def stop(self) -> None:
        for group in self.groups:
            registry.discard(group, self)


async def deliver(subscriptions: Sequence[LiveSubscription], pks: list[Any], event: Any) -> None:
    """Send a committed batch (its changed ``pks``) to a socket's subscriptions, evaluating once per
    cohort and ``event`` (every socket evaluates for itself when the batch has no event id)."""
    for subscription in subscriptions:
        try:
            if isinstance(event, str):
                compute = functools.partial(subscription.evaluate, pks)
                outcomes = await shared_result(("live", event, subscription.cohort), compute)
            else:
                outcomes = await subscription.evaluate(pks)
        except Exception:
            logger.exception("Could not evaluate a live subscription of %s", type(subscription.consumer).__name__)
            continue
        known = subscription.known
        for index, outcome in enumerate(outcomes):
            frames, known[index] = outcome.step(known[index])
            if not frames:
                continue
            if subscription.on_step is not None:
                subscription.on_step(index, outcome)
            if subscription.send is not None:
                await subscription.send(index, frames)
                continue
            # The common case (live lists) replies directly: no wrapper per event and socket.
            reply, request_id = subscription.consumer.reply_encoded, subscription.request_id
            for frame in frames:
                await reply(frame.action, frame.data, frame.text, status=frame.status, request_id=request_id)


class LiveTable:
    """A socket's live subscriptions by key (a request id's JSON, or what a subscription names); a
    key may hold several (rest-live stacks a repeated request id), kept in the order they came."""

    __slots__ = ("_all", "_entries")

    def __init__(self) -> None:
        self._entries: dict[str, list[LiveSubscription]] = {}
        #: Every subscription, in the order they came: what each event scans.
        self._all: list[LiveSubscription] = []

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def add(self, key: str, subscription: LiveSubscription) -> None:
        self._entries.setdefault(key, []).append(subscription)
        self._all.append(subscription)

    def watching(self, group: str | None) -> list[LiveSubscription]:
        """The subscriptions listening to ``group`` (every one when it is ``None``)."""
        if group is None:
            return list(self._all)
        return [s for s in self._all if group in s.groups]

    def groups(self) -> set[str]:
        """The groups some subscription of the table listens to."""
        return {group for s in self._all for group in s.groups}

    def pop(self, key: str) -> list[LiveSubscription] | None:
        """Forget and stop the subscriptions of ``key`` (``None`` when there were none)."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            for subscription in entry:
                subscription.stop()
            self._all = [s for s in self._all if s not in entry]
        return entry

    def clear(self) -> None:
        """Forget and stop every subscription (the socket closed)."""
        for subscription in self._all:
            subscription.stop()
        self._entries.clear()
        self._all.clear()


__all__ = [
    "Evaluate",
    "ListFrame",
    "ListOutcome",
    "LiveSubscription",
    "LiveTable",
    "Send",
    "deliver",
]
