"""The process-local registry of the delivery path: channel-layer group -> cohort -> subscriptions.

A *cohort* is the set of subscriptions that get the same events for the same change: same consumer
class, same parameters, same permission context.  Membership and payloads are evaluated once per
cohort (through :func:`.sharing.shared_result`); each socket only splices in its request id.
docs/delivery.rst describes the whole path.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Iterator
from typing import Any, Protocol


class Subscription(Protocol):
    """What the registry needs of a subscription: the socket it belongs to and its cohort."""

    consumer: Any
    cohort: Hashable


class SubscriptionRegistry:
    """Which subscriptions of this process watch which group, by cohort.

    Subscriptions are held weakly: the consumer owns them, and a socket that goes away without
    unsubscribing leaves nothing behind here.
    """

    def __init__(self) -> None:
        self._groups: dict[str, dict[Hashable, weakref.WeakSet[Any]]] = {}

    def add(self, group: str, subscription: Subscription) -> None:
        cohorts = self._groups.setdefault(group, {})
        cohorts.setdefault(subscription.cohort, weakref.WeakSet()).add(subscription)

    def discard(self, group: str, subscription: Subscription) -> None:
        cohorts = self._groups.get(group)
        if cohorts is None:
            return
        members = cohorts.get(subscription.cohort)
        if members is not None:
            members.discard(subscription)
            if not members:
                del cohorts[subscription.cohort]
        if not cohorts:
            del self._groups[group]

    def cohort(self, group: str, cohort: Hashable) -> list[Any]:
        """The live subscriptions of one cohort in ``group``."""
        return list(self._groups.get(group, {}).get(cohort, ()))

    def cohorts(self, group: str) -> dict[Hashable, list[Any]]:
        """Every cohort watching ``group`` in this process, with its subscriptions."""
        return {key: list(members) for key, members in self._groups.get(group, {}).items() if members}

    def groups(self) -> Iterator[str]:
        return iter(list(self._groups))


#: The registry of this process.
registry = SubscriptionRegistry()
