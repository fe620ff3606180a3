import datetime
import enum
import uuid
from decimal import Decimal
from typing import Literal, TypedDict

from rest_framework import serializers

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


class Point(TypedDict):
    x: int
    y: int


class BookingSerializer(serializers.Serializer):
    room = serializers.CharField(max_length=10)
    guests = serializers.IntegerField(min_value=1)


class ShopConsumer(AsyncAPIConsumer):
    @action()
    async def add(self, a: int, b: int):
        return {"sum": a + b}, 200

    @action()
    async def price(self, amount: Decimal, currency: Literal["EUR", "USD"] = "EUR"):
        return {"amount": str(amount * 2), "currency": currency}, 200

    @action()
    async def paint(self, colour: Colour, at: Point, note: str | None = None):
        return {"colour": colour.name, "x": at["x"], "note": note}, 200

    @action()
    async def schedule(self, when: datetime.datetime, day: datetime.date, ref: uuid.UUID):
        return {
            "utc_hour": when.astimezone(datetime.timezone.utc).hour,
            "weekday": day.isoweekday(),
            "ref": ref.hex,
        }, 200

    @action()
    async def totals(self, counts: dict[str, int], ids: list[int] | None = None):
        return {"total": sum(counts.values()), "ids": ids}, 200

    @action()
    async def book(self, booking: BookingSerializer):
        # ``booking`` is the serializer's validated_data.
        return {"room": booking["room"], "guests": booking["guests"]}, 201

    @action(serializer_class=BookingSerializer)
    async def reserve(self, room: str, guests: int):
        # The whole message is validated by the serializer; its validated_data are the arguments.
        return {"room": room, "guests": guests}, 201

    @action()
    async def legacy(self, name, **kwargs):
        # No annotations: values arrive as sent, and unknown keys land in **kwargs, as in DCRF.
        return {"name": name, "colour": kwargs["colour"]}, 200
