"""django-rest-live on this package's live-list engine.

A project written for django-rest-live switches by replacing the ``rest_live`` prefix of its imports
(and its ``INSTALLED_APPS`` entry) with ``djangochannelsrestframework.contrib.rest_live``:

* 0.7: :class:`.mixins.RealtimeMixin` on DRF views and :class:`.routers.RealtimeRouter`;
* 0.2: :func:`.decorators.subscribable` on serializers and :class:`.consumers.SubscriptionConsumer`.

Both are evaluated per cohort of subscribers after the transaction commits (see docs/from_rest_live.rst).
"""

#: The ``action`` of a broadcast for a row that enters what a subscription watches.
CREATED = "CREATED"
#: The ``action`` of a broadcast for a watched row that changed.
UPDATED = "UPDATED"
#: The ``action`` of a broadcast for a row that left what a subscription watches (or was deleted).
DELETED = "DELETED"

#: The group key of ``@subscribable()`` without arguments.
DEFAULT_GROUP_BY_FIELD = "pk"

__all__ = ["CREATED", "DEFAULT_GROUP_BY_FIELD", "DELETED", "UPDATED"]
