"""Run in a separate OS process by tests/observer/test_observer_services.py: changes Item rows in PostgreSQL.

Prints the expected final state as JSON, one line: {"kept": {...}, "deleted_pk": ...}.
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

import tests.support.observer_consumers  # noqa: E402, F401  (registers the observers, as a web worker would)
from tests.support.app.models import Item  # noqa: E402


def ensure_table() -> None:
    if Item._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(Item)


def main() -> None:
    ensure_table()
    with transaction.atomic():
        kept = Item.objects.create(name="kept", value=1)
        kept.value = 2
        kept.save()
        try:
            with transaction.atomic():
                Item.objects.create(name="dropped")
                raise RuntimeError("roll back this savepoint")
        except RuntimeError:
            pass
        kept.value = 3
        kept.save()
    with transaction.atomic():
        Item.objects.create(name="rolled back")
        transaction.set_rollback(True)
    pk = kept.pk
    kept.delete()
    print(json.dumps({"kept": {"id": pk, "name": "kept", "value": 3}, "deleted_pk": pk}), flush=True)


if __name__ == "__main__":
    main()
