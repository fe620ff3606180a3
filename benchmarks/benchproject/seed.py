"""Create and seed one implementation's SQLite database: ``python seed.py`` (BENCH_DB names the file)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproject.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

ROWS = 20_000


def main() -> None:
    call_command("migrate", verbosity=0)
    # Import nothing that connects observers: seeding must not be slowed (or skewed) by them.
    from bench.models import PlainRow, Row

    with transaction.atomic():
        for model in (Row, PlainRow):
            if model.objects.count() != ROWS:
                model.objects.all().delete()
                model.objects.bulk_create(model(id=i, name=f"row {i}", value=i) for i in range(1, ROWS + 1))
    print(f"seeded {Row.objects.count()} rows and {PlainRow.objects.count()} plain rows")


if __name__ == "__main__":
    main()
