"""Processes for tests/observer/test_observer_lists_services.py, with PostgreSQL and a Redis channel layer.

    python tests/support/list_processes.py serve PORT [uvicorn|daphne]  # ItemListConsumer on ws://127.0.0.1:PORT/ws/
    python tests/support/list_processes.py write PREFIX # a writer: one change per line read from stdin

The writer reads ``create``, ``update`` or ``delete`` lines, commits that change to items whose
names start with PREFIX, and prints the affected rows as one JSON line.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.settings_services")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from tests.support.app.models import Item  # noqa: E402
from tests.support.list_consumers import ItemListConsumer  # noqa: E402


def ensure_table() -> None:
    with transaction.atomic():
        if Item._meta.db_table not in connection.introspection.table_names():
            with connection.schema_editor() as editor:
                editor.create_model(Item)


def serve(port: int, server: str) -> None:
    if server == "daphne":
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        endpoints = build_endpoint_description_strings(host="127.0.0.1", port=port)
        Server(ItemListConsumer.as_asgi(), endpoints=endpoints, verbosity=0).run()
        return
    import uvicorn

    uvicorn.run(ItemListConsumer.as_asgi(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")


def write(prefix: str) -> None:
    ensure_table()
    rows: dict[str, Item] = {}
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        step = line.strip()
        if step == "create":
            with transaction.atomic():
                rows["a"] = Item.objects.create(name=f"{prefix}a", value=1)
                rows["b"] = Item.objects.create(name=f"{prefix}b", value=2)
                try:
                    with transaction.atomic():
                        Item.objects.create(name=f"{prefix}rolled back")
                        raise RuntimeError("roll back this savepoint")
                except RuntimeError:
                    pass
        elif step == "update":
            rows["a"].value = 10
            rows["a"].save()
        elif step == "delete":
            with transaction.atomic():
                rows["b"].delete()
                Item.objects.create(name=f"not-{prefix}")  # outside the subscribers' filter
        print(json.dumps({name: {"id": row.id, "name": row.name, "value": row.value} for name, row in rows.items()}))
        sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        ensure_table()
        serve(int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "uvicorn")
    else:
        write(sys.argv[2])
