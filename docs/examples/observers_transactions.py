from django.db import connection, transaction

from .models import Item


def restock() -> None:
    """Three saves of one row in one transaction: subscribers get one event, with value 3."""
    with transaction.atomic():
        item = Item.objects.create(name="apple", value=0)
        for _ in range(3):
            item.value += 1
            item.save()


def abandoned_order() -> None:
    """Rolled back: subscribers get nothing."""
    with transaction.atomic():
        Item.objects.create(name="cart", value=1)
        transaction.set_rollback(True)


def partial_import() -> None:
    """The inner block rolls back to its savepoint; only "kept" is announced."""
    with transaction.atomic():
        Item.objects.create(name="kept", value=1)
        try:
            with transaction.atomic():
                Item.objects.create(name="broken", value=2)
                raise ValueError("bad row")
        except ValueError:
            pass


def unobserved_writes() -> None:
    """None of these call save() or delete() on a model instance, so no event is sent."""
    Item.objects.filter(name="apple").update(value=10)
    Item.objects.bulk_create([Item(name="plum"), Item(name="lime")])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE app_item SET value = value + 1")
