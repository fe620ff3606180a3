"""Processes for tests/observer/test_observer_subscribe_race.py, with PostgreSQL and a Redis channel layer.

    python tests/support/race_processes.py serve PORT                 # PausingItemList on ws://127.0.0.1:PORT/ws/
    python tests/support/race_processes.py write                      # one change per JSON line read from stdin
    python tests/support/race_processes.py churn PREFIX SEED SECONDS  # random changes to PREFIX items for SECONDS

``write`` reads ``{"create": {"name": ..., "value": ...}}``, ``{"update": {"id": ..., "value": ...}}``
or ``{"delete": id}``, commits it and prints the row as one JSON line (``null`` for a delete).
``churn`` creates, updates (across ``value`` 100, the tests' filter) and deletes rows, alone or
several in a transaction, and prints ``{"changes": N}`` when done.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.settings_services")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# Persistent connections, as docs/performance.rst advises for live lists: with a new connection per
# read, a loaded machine's servers fall seconds behind the writers and the test subscribes rarely.
settings.DATABASES["default"]["CONN_MAX_AGE"] = 60

import redis  # noqa: E402
from django.db import transaction  # noqa: E402
from rest_framework import status  # noqa: E402

from djangochannelsrestframework._engine.serializer_plans import serializer_data  # noqa: E402
from djangochannelsrestframework.decorators import action  # noqa: E402
from tests.support.app.models import Item  # noqa: E402
from tests.support.list_consumers import ItemListConsumer  # noqa: E402
from tests.support.list_processes import ensure_table  # noqa: E402


def _wait_at(token: str, stage: str) -> None:
    """Tell the test this ``list`` reached ``stage``, then wait until the test lets it go on."""
    client = redis.Redis(host="127.0.0.1", port=6379)
    try:
        client.rpush(f"{token}:at", stage)
        if client.blpop([f"{token}:go:{stage}"], timeout=60) is None:
            raise RuntimeError(f"the test never released {stage!r}")
    finally:
        client.close()


class PausingItemList(ItemListConsumer):
    """``list`` (and so ``subscribe_list``'s snapshot) that stops where the tests say:

    * ``pause=TOKEN`` waits for the test (through Redis keys named after TOKEN) before it reads the
      rows and again after it serialized them;
    * ``delay=SECONDS`` sleeps that long at both points instead.
    """

    @action()
    def list(self, **kwargs: Any) -> tuple[Any, int]:
        token, delay = kwargs.get("pause"), float(kwargs.get("delay") or 0)
        if token:
            _wait_at(str(token), "read")
        time.sleep(delay)
        queryset = self.filter_queryset(self.get_queryset(**kwargs), **kwargs)
        data = serializer_data(self.get_serializer(instance=queryset, many=True, action_kwargs=kwargs))
        if token:
            _wait_at(str(token), "sent")
        time.sleep(delay)
        return data, status.HTTP_200_OK


def row(item: Item) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "value": item.value}


def write() -> None:
    ensure_table()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        result: Any = None
        if "create" in command:
            result = row(Item.objects.create(**command["create"]))
        elif "update" in command:
            item = Item.objects.get(pk=command["update"]["id"])
            item.value = command["update"]["value"]
            item.save()
            result = row(item)
        else:
            Item.objects.filter(pk=command["delete"]).first().delete()  # type: ignore[union-attr]
        print(json.dumps(result), flush=True)


def churn(prefix: str, seed: int, seconds: float) -> None:
    """Random changes to the items named ``prefix...`` for ``seconds``."""
    ensure_table()
    chance = random.Random(seed)
    ids: list[int] = []
    changes = 0
    print(json.dumps({"ready": True}), flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with transaction.atomic():
            for _ in range(chance.choice((1, 1, 1, 2, 4))):
                kind = chance.random()
                if kind < 0.4 or len(ids) < 3:
                    item = Item.objects.create(name=f"{prefix}{chance.randrange(10**6)}", value=chance.randrange(200))
                    ids.append(item.id)
                elif kind < 0.7:
                    item = Item.objects.get(pk=chance.choice(ids))
                    item.value = chance.randrange(200)
                    item.save()
                else:
                    Item.objects.get(pk=ids.pop(chance.randrange(len(ids)))).delete()
                changes += 1
        time.sleep(chance.random() * 0.1)
    print(json.dumps({"changes": changes}), flush=True)


def serve(port: int) -> None:
    import uvicorn

    uvicorn.run(PausingItemList.as_asgi(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        ensure_table()
        serve(int(sys.argv[2]))
    elif sys.argv[1] == "write":
        write()
    else:
        churn(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
