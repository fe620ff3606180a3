"""Cost of observers on ORM reads (and writes): load 20k rows of a model with and without observers.

Times are CPU time of the measuring thread, best of several alternating rounds.

Run: .venv/bin/python benchmarks/observer_load.py   (prints best-of-N timings and their ratio)
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from tests.support.app.models import Item  # noqa: E402

ROWS = 20_000
ROUNDS = 9


def setup_table() -> None:
    with connection.schema_editor() as editor:
        editor.create_model(Item)
    Item.objects.bulk_create(Item(name=f"item {i}", value=i) for i in range(ROWS))


def best(func, rounds: int = ROUNDS) -> float:
    timings = []
    for _ in range(rounds):
        # CPU time of this thread: steadier than wall time on a shared machine, and it leaves
        # out the background sender thread.
        start = time.thread_time()
        func()
        timings.append(time.thread_time() - start)
    return min(timings)


def load() -> None:
    assert len(list(Item.objects.all())) == ROWS


def saves(n: int = 300) -> None:
    item = Item.objects.get(pk=1)
    for value in range(n):
        item.value = value
        item.save()


def observe() -> object:
    """Define a consumer with a plain and a grouped model observer of Item (as an app would)."""
    from djangochannelsrestframework.consumers import AsyncAPIConsumer
    from djangochannelsrestframework.observer import model_observer

    class ObservingConsumer(AsyncAPIConsumer):
        @model_observer(Item)
        async def item_activity(self, message, **kwargs):
            await self.send_json(message)

        @model_observer(Item)
        async def item_by_value(self, message, **kwargs):
            await self.send_json(message)

        @item_by_value.groups_for_signal
        def item_by_value(self, instance, **kwargs):
            yield f"value-{instance.value}"

    return ObservingConsumer


def main() -> None:
    from django.db.models.signals import post_init, post_save

    from djangochannelsrestframework.observer.base_observer import _sender

    setup_table()
    loads: dict[str, list[float]] = {"unobserved": [], "observed": []}
    writes: dict[str, list[float]] = {"unobserved": [], "observed": []}
    # Alternate, so machine noise hits both sides alike; observers vanish with their class.
    for _ in range(ROUNDS):
        _sender.drain()
        gc.collect()
        assert not post_save._live_receivers(Item)[0] and not post_init._live_receivers(Item)[0]
        loads["unobserved"].append(best(load, 1))
        writes["unobserved"].append(best(saves, 1) / 300)
        consumer = observe()
        assert not post_init._live_receivers(Item)[0]
        _sender.drain()
        gc.collect()
        loads["observed"].append(best(load, 1))
        writes["observed"].append(best(saves, 1) / 300)
        del consumer
    unobserved_load, observed_load = min(loads["unobserved"]), min(loads["observed"])
    unobserved_save, observed_save = min(writes["unobserved"]), min(writes["observed"])
    print(
        f"load {ROWS} rows  unobserved {unobserved_load * 1000:8.1f} ms   observed {observed_load * 1000:8.1f} ms"
        f"   ratio {observed_load / unobserved_load:.3f}  (target <= 1.05)"
    )
    print(
        f"save() per call   unobserved {unobserved_save * 1e6:8.1f} us   observed {observed_save * 1e6:8.1f} us"
        f"   ratio {observed_save / unobserved_save:.2f}  (two observers, one with a groups hook; no subscriber)"
    )


if __name__ == "__main__":
    main()
