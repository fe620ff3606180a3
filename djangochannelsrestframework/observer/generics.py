"""Instance subscriptions (``ObserverModelInstanceMixin``) and the binding of generic observers.

The code lives in one module per job; this module keeps the names importable from here:

* :mod:`.binding`: generic observers bound to each consumer class's model;
* :mod:`.request_ids`: which request ids of a socket watch which group;
* :mod:`.instance`: the ``subscribe_instance`` / ``unsubscribe_instance`` actions and event delivery;
* :mod:`.sharing`: one payload per event for every socket that gets the same data.
"""

from __future__ import annotations

from .binding import GenericModelObserver as _GenericModelObserver  # DCRF 1.3 named it so, here
from .binding import ObserverAPIConsumerMetaclass
from .instance import ObserverModelInstanceMixin, _instance_change, _instance_groups
from .request_ids import ObserverConsumerMixin

# Kept importable from here under their old private names; ``current_event``, ``encode_payload``,
# ``InstanceOutcome``, ``LazyContext`` and ``shares_instance_data`` are public in .sharing now.
from .sharing import (
    _DEFAULT_PATH,
    _DEFAULT_PERMISSIONS,
    _SHARED_OUTCOMES_KEPT,
    _shareable_classes,
    _shared_outcomes,
)
from .sharing import InstanceOutcome as _Outcome
from .sharing import LazyContext as _LazyContext
from .sharing import current_event as _current_event
from .sharing import encode_payload as _encode
from .sharing import shares_instance_data as _shares_instance_data

__all__ = [
    "_DEFAULT_PATH",
    "_DEFAULT_PERMISSIONS",
    "_SHARED_OUTCOMES_KEPT",
    "ObserverAPIConsumerMetaclass",
    "ObserverConsumerMixin",
    "ObserverModelInstanceMixin",
    "_GenericModelObserver",
    "_LazyContext",
    "_Outcome",
    "_current_event",
    "_encode",
    "_instance_change",
    "_instance_groups",
    "_shareable_classes",
    "_shared_outcomes",
    "_shares_instance_data",
]
