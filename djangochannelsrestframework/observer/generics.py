"""Instance subscriptions (``ObserverModelInstanceMixin``) and the binding of generic observers.

The code lives in one module per job; this module keeps DCRF 1.3's names importable from here:

* :mod:`.binding`: generic observers bound to each consumer class's model;
* :mod:`.request_ids`: which request ids of a socket watch which group;
* :mod:`.instance`: the ``subscribe_instance`` / ``unsubscribe_instance`` actions and event delivery;
* :mod:`.sharing`: one payload per event for every socket that gets the same data.
"""

from __future__ import annotations

from .binding import GenericModelObserver as _GenericModelObserver  # DCRF 1.3 named it so, here
from .binding import ObserverAPIConsumerMetaclass
from .instance import ObserverModelInstanceMixin, _instance_change
from .request_ids import ObserverConsumerMixin

__all__ = [
    "ObserverAPIConsumerMetaclass",
    "ObserverConsumerMixin",
    "ObserverModelInstanceMixin",
    "_GenericModelObserver",
    "_instance_change",
]
