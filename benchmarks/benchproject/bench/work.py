"""Database work shared by every implementation (plain sync Django; callers choose the thread)."""

from django.db import transaction

from .models import Row

#: The row the fan-out scenarios observe and bump.
OBSERVED_PK = 1
#: The list scenario returns these rows.
LIST_ROWS = 100


def bump_row(n: int) -> int:
    """Save the observed row ``n`` times, each save in its own transaction; return its final value."""
    row = Row.objects.get(pk=OBSERVED_PK)
    for _ in range(n):
        with transaction.atomic():
            row.value += 1
            row.save(update_fields=["value"])
    return row.value
