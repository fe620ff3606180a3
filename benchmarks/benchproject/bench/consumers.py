"""Framework consumers, written only against the public API that DCRF 1.3 and ours share.

The observer part is optional: when ``djangochannelsrestframework.observer`` cannot be imported
(or lacks a name used here) the observer consumer is left out and ``capabilities`` says why.
"""

from __future__ import annotations

import os
from typing import Any

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import ListModelMixin, RetrieveModelMixin

from .models import Row
from .serializers import RowSerializer
from .work import LIST_ROWS, bump_row

try:
    from djangochannelsrestframework.observer import model_observer
    from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin

    HAVE_OBSERVER = True
    OBSERVER_MISSING = ""
except Exception as exc:  # the observer package may not exist yet in our implementation
    HAVE_OBSERVER = False
    OBSERVER_MISSING = f"{type(exc).__name__}: {exc}"


try:  # ours only: DCRF 1.3 leaves multiplexing to channelsmultiplexer
    from djangochannelsrestframework.multiplexing import AsyncJsonWebsocketDemultiplexer  # noqa: F401 (asgi.py)

    HAVE_MULTIPLEXING = True
except ImportError:
    HAVE_MULTIPLEXING = False


#: ``BENCH_IMPL=untyped`` (run.py's ``untyped`` implementation): ours with typed parameters off, i.e.
#: an unannotated ``echo`` and no lookup validation in ``retrieve``, to measure both in the same run.
UNTYPED = os.environ.get("BENCH_IMPL") == "untyped"


class EchoConsumer(AsyncAPIConsumer):
    if UNTYPED:

        @action()
        async def echo(self, message=None, **kwargs):  # type: ignore[no-untyped-def]
            return {"message": message}, 200

    else:

        @action()
        async def echo(self, message: str | None = None, **kwargs: Any) -> tuple[Any, int]:
            # Typed: ours validates `message` as a string on every call (DCRF ignores annotations).
            # The benchmark thereby measures typed parameters, and retrieve the pk validation.
            return {"message": message}, 200

    @action()
    async def capabilities(self, **kwargs: Any) -> tuple[Any, int]:
        return {
            "observer": HAVE_OBSERVER,
            "reason": OBSERVER_MISSING,
            "live_lists": HAVE_LIVE_LISTS,
            "live_lists_reason": LIVE_LISTS_MISSING,
            "multiplexing": HAVE_MULTIPLEXING,
        }, 200


class RowConsumer(RetrieveModelMixin, ListModelMixin, GenericAsyncAPIConsumer):
    queryset = Row.objects.filter(pk__lte=LIST_ROWS).order_by("pk")
    serializer_class = RowSerializer

    if UNTYPED:

        def validate_lookup_value(self, model: Any, value: Any) -> Any:
            return value  # the pre-issue-11 pass-through


if HAVE_OBSERVER:
    try:

        class ObserveConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
            queryset = Row.objects.all()
            serializer_class = RowSerializer

            @model_observer(Row)
            async def row_activity(
                self, message: Any, observer: Any = None, subscribing_request_ids: Any = None, **kwargs: Any
            ) -> None:
                for request_id in subscribing_request_ids or [None]:
                    await self.reply(action="row_activity", data=message, request_id=request_id)

            @row_activity.serializer
            def row_activity(self, instance: Row, action: Any, **kwargs: Any) -> dict[str, Any]:
                return dict(RowSerializer(instance).data)

            @action()
            async def subscribe_rows(self, request_id: Any = None, **kwargs: Any) -> tuple[None, int]:
                await self.row_activity.subscribe(request_id=request_id)
                return None, 201

            @action()
            def bump(self, n: int = 1, **kwargs: Any) -> tuple[Any, int]:
                return {"value": bump_row(int(n))}, 200

    except Exception as exc:
        HAVE_OBSERVER = False
        OBSERVER_MISSING = f"{type(exc).__name__}: {exc}"


# Live lists exist only in our implementation (DCRF 1.3 has no equivalent): optional like the observer.
try:
    from djangochannelsrestframework.mixins import ListSubscriptionMixin

    class MaxPkFilter:
        """``max_pk`` in the message keeps rows up to that pk: distinct values make distinct cohorts
        whose lists all hold the bumped row."""

        def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
            return queryset.filter(pk__lte=int(request.query_params.get("max_pk", LIST_ROWS)))

    class LiveListConsumer(ListSubscriptionMixin, GenericAsyncAPIConsumer):
        queryset = Row.objects.order_by("pk")
        serializer_class = RowSerializer
        filter_backends = [MaxPkFilter]

    HAVE_LIVE_LISTS = True
    LIVE_LISTS_MISSING = ""
except Exception as exc:
    HAVE_LIVE_LISTS = False
    LIVE_LISTS_MISSING = f"{type(exc).__name__}: {exc}"
