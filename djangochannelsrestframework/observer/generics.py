"""Instance subscriptions (``ObserverModelInstanceMixin``) and the binding of generic observers.

The code lives in one module per job; this module keeps DCRF 1.3's names importable from here:

* :mod:`.binding`: generic observers bound to each consumer class's model;
* :mod:`.request_ids`: which request ids of a socket watch which group;
* :mod:`.instance`: the ``subscribe_instance`` / ``unsubscribe_instance`` actions and event delivery;
* :mod:`.sharing`: one payload per event for every socket that gets the same data.

DCRF 1.3's module also exposed the names it imported (``action``, ``status``, ``ModelObserver``...),
which projects import from here (DCRF's chat tutorial: ``from ...observer.generics import action``):
they stay importable, kept for compatibility.
"""

from __future__ import annotations

from collections.abc import Iterable as Iterable
from copy import deepcopy as deepcopy
from functools import partial as partial
from typing import Dict as Dict  # noqa: UP035
from typing import List as List  # noqa: UP035
from typing import Optional as Optional
from typing import Set as Set  # noqa: UP035
from typing import Type as Type  # noqa: UP035

from channels.db import database_sync_to_async as database_sync_to_async
from django.db.models import Model as Model
from rest_framework import status as status

from ..consumers import APIConsumerMetaclass as APIConsumerMetaclass
from ..decorators import action as action
from ..generics import GenericAsyncAPIConsumer as GenericAsyncAPIConsumer
from ..mixins import RetrieveModelMixin as RetrieveModelMixin
from .binding import GenericModelObserver as _GenericModelObserver  # DCRF 1.3 named it so, here
from .binding import ObserverAPIConsumerMetaclass
from .instance import ObserverModelInstanceMixin, _instance_change
from .model_observer import ModelObserver as ModelObserver
from .request_ids import ObserverConsumerMixin

__all__ = [
    "APIConsumerMetaclass",
    "Dict",
    "GenericAsyncAPIConsumer",
    "Iterable",
    "List",
    "Model",
    "ModelObserver",
    "ObserverAPIConsumerMetaclass",
    "ObserverConsumerMixin",
    "ObserverModelInstanceMixin",
    "Optional",
    "RetrieveModelMixin",
    "Set",
    "Type",
    "_GenericModelObserver",
    "_instance_change",
    "action",
    "database_sync_to_async",
    "deepcopy",
    "partial",
    "status",
]
