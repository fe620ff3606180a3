"""Observer group names: how an observer's channel-layer groups are named, and how to tell them apart.

Observer groups are delivered once per process (_engine/fanout.py), not per socket, so the
consumer and the layer-outage handling (:mod:`.layer_resilience`) treat them apart from a user's own
groups.  This module imports nothing from the package, so any module can use it without a cycle.
"""

from __future__ import annotations

import functools
import hashlib

#: What every observer group name starts with (and no group of the user's own should).
OBSERVER_GROUP_PREFIX = "DCRF-"


@functools.lru_cache(maxsize=4096)
def clean_group_name(name: str) -> str:
    """A channel-layer-safe group name: ``"DCRF-"`` + the sha256 hex digest of ``name``."""
    return f"{OBSERVER_GROUP_PREFIX}{hashlib.sha256(name.encode()).hexdigest()}"


def is_observer_group(name: str) -> bool:
    """Whether ``name`` is an observer's group (made by :func:`clean_group_name`), delivered per process."""
    return name.startswith(OBSERVER_GROUP_PREFIX)
