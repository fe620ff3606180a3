"""The benchmark's channel layer: channels' ``InMemoryChannelLayer`` with its expiry sweep rate-limited.

The stock layer sweeps every channel and every group membership for expired entries on each
``send``, ``group_send`` and ``receive``: O(channels + memberships) per call, ~0.2-0.3 ms per
received message with 1,000 connected sockets, whatever serves them.  At 1,000 subscribers that
sweep, not the consumers, bounds fan-out (run.py --layer stock shows it).  Sweeping at most once a
second changes nothing observable here (messages expire after 120 s) and leaves the consumers'
cost to be measured.  Every implementation uses the same layer.
"""

from __future__ import annotations

import time
from typing import Any

from channels.layers import InMemoryChannelLayer


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    """``InMemoryChannelLayer`` that sweeps expired messages and memberships at most once per second."""

    sweep_interval = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_sweep = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < self.sweep_interval:
            return
        self._last_sweep = now
        super()._clean_expired()
