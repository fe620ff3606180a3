"""The third process of redis_scaleout.py: saves the observed row N times (each in its own
transaction) with the implementation's observers connected, then waits until every message left.
Prints the wall-clock time of the first save."""

from __future__ import annotations

import sys
import time

import django

django.setup()

from bench import consumers  # noqa: E402,F401  (connects the observers)
from bench.work import bump_row  # noqa: E402

count = int(sys.argv[1])
print(time.time(), flush=True)
bump_row(count)
try:  # ours sends from a background thread; make sure it is done before exiting
    from djangochannelsrestframework.observer.base_observer import _sender

    _sender.drain(30)
except ImportError:
    pass
