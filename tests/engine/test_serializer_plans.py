"""serializer_plans: ``serializer_data`` gives byte-for-byte what DRF's ``serializer.data`` gives,
over many field types (hypothesis), and takes DRF's own path where fields may read the context."""

from __future__ import annotations

import datetime
import decimal
import gc
import weakref

import pytest
from django.contrib.auth.models import User
from django.db import models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from djangochannelsrestframework import codec
from djangochannelsrestframework._engine.serializer_plans import _MAX_PLANS, _plan, _plans, serializer_data
from tests.support.app.models import Item


class Sample(models.Model):
    """Never stored (no table): instances are built in memory and only serialized; deleting an
    Item or a User never looks for its rows (DO_NOTHING)."""

    text = models.CharField(max_length=50, blank=True)
    body = models.TextField(blank=True)
    count = models.IntegerField(default=0)
    big = models.BigIntegerField(null=True)
    ratio = models.FloatField(default=0.0)
    price = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    flag = models.BooleanField(default=False)
    day = models.DateField(null=True)
    moment = models.DateTimeField(null=True)
    clock = models.TimeField(null=True)
    span = models.DurationField(null=True)
    token = models.UUIDField(null=True)
    email = models.EmailField(blank=True)
    slug = models.SlugField(blank=True)
    link = models.URLField(blank=True)
    extra = models.JSONField(null=True)
    size = models.CharField(max_length=1, choices=[("s", "small"), ("l", "large")], default="s")
    address = models.GenericIPAddressField(null=True)
    item = models.ForeignKey(Item, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    owner = models.ForeignKey(User, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    class Meta:
        app_label = "app"
        managed = False

    @property
    def shout(self):
        return self.text.upper()


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class AllFields(serializers.ModelSerializer):
    class Meta:
        model = Sample
        fields = "__all__"


class Shaped(serializers.ModelSerializer):
    """source=, read-only and write-only fields, a method field reading the context, nesting."""

    title = serializers.CharField(source="text", read_only=True)
    loud = serializers.ReadOnlyField(source="shout")
    secret = serializers.CharField(write_only=True, required=False)
    viewer = serializers.SerializerMethodField()
    item = ItemSerializer(read_only=True)
    owner_name = serializers.SlugRelatedField(source="owner", slug_field="username", read_only=True)
    tags = serializers.ListField(child=serializers.IntegerField(), source="extra", read_only=True)

    class Meta:
        model = Sample
        fields = ["id", "title", "loud", "secret", "viewer", "item", "owner_name", "count", "price", "tags"]
        extra_kwargs = {"count": {"read_only": True}}

    def get_viewer(self, obj):
        return [self.context.get("user"), obj.count]


class CustomRepresentation(serializers.ModelSerializer):
    class Meta:
        model = Sample
        fields = ["id", "text"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["user"] = self.context.get("user")
        return data


class ContextField(serializers.Field):
    def to_representation(self, value):
        return [self.context.get("user"), value]


class WithContextField(serializers.ModelSerializer):
    text = ContextField()

    class Meta:
        model = Sample
        fields = ["id", "text"]


class Hyperlinked(serializers.HyperlinkedModelSerializer):
    class Meta:
        model = Item
        fields = ["name"]


class DynamicFields(serializers.ModelSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.context.get("drop", ()):
            self.fields.pop(name)

    class Meta:
        model = Sample
        fields = ["id", "text", "count"]


texts = st.text(max_size=20)
samples = st.builds(
    lambda **values: values,
    id=st.one_of(st.none(), st.integers(1, 10**6)),
    text=texts,
    body=texts,
    count=st.integers(-(2**31), 2**31 - 1),
    big=st.one_of(st.none(), st.integers(-(2**62), 2**62)),
    ratio=st.floats(allow_nan=False, allow_infinity=False),
    price=st.one_of(st.none(), st.decimals(min_value=-999999, max_value=999999, places=2)),
    flag=st.booleans(),
    day=st.one_of(st.none(), st.dates()),
    moment=st.one_of(st.none(), st.datetimes(timezones=st.just(datetime.timezone.utc))),
    clock=st.one_of(st.none(), st.times()),
    span=st.one_of(st.none(), st.timedeltas(max_value=datetime.timedelta(days=9999))),
    token=st.one_of(st.none(), st.uuids()),
    email=st.emails(),
    slug=st.from_regex(r"[a-z0-9_-]{0,10}", fullmatch=True),
    link=st.sampled_from(["", "https://example.com/a?b=1"]),
    extra=st.one_of(st.none(), st.lists(st.integers(0, 9), max_size=4)),
    size=st.sampled_from(["s", "l", "x"]),
    address=st.one_of(st.none(), st.ip_addresses().map(str)),
    item=st.one_of(st.none(), st.builds(lambda pk, name: Item(pk=pk, name=name, value=pk), st.integers(1, 99), texts)),
    owner=st.one_of(st.none(), st.builds(lambda pk, name: User(pk=pk, username=name), st.integers(1, 99), texts)),
)


def build(values):
    values = dict(values)
    item, owner = values.pop("item"), values.pop("owner")
    sample = Sample(**values)
    sample.item, sample.owner = item, owner
    return sample


def outcome(compute):
    try:
        return compute(), None
    except Exception as exc:  # DRF refuses some values (a datetime out of range): so must we
        return None, (type(exc), str(exc))


def same_bytes(serializer_class, instance, many=False, **kwargs):
    ours, our_error = outcome(lambda: serializer_data(serializer_class(instance, many=many, **kwargs)))
    drf, drf_error = outcome(lambda: serializer_class(instance, many=many, **kwargs).data)
    assert our_error == drf_error
    assert codec.dumps(ours) == codec.dumps(drf)
    assert ours == drf and type(ours) is type(drf)
    return ours


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(samples)
def test_every_model_field_type_serializes_like_drf(values):
    same_bytes(AllFields, build(values))


@settings(max_examples=100, deadline=None)
@given(samples, st.one_of(st.none(), st.integers(), texts))
def test_source_read_write_only_nested_and_method_fields_serialize_like_drf(values, user):
    same_bytes(Shaped, build(values), context={"user": user})


@settings(max_examples=30, deadline=None)
@given(st.lists(samples, max_size=5), st.integers())
def test_many_serializes_like_drf(rows, user):
    same_bytes(Shaped, [build(values) for values in rows], many=True, context={"user": user})
    same_bytes(AllFields, [build(values) for values in rows], many=True)


@pytest.mark.parametrize("serializer_class", [CustomRepresentation, WithContextField, Hyperlinked, DynamicFields])
def test_context_dependent_serializers_take_drfs_path(serializer_class):
    assert _plan(serializer_class) is None


def test_context_dependent_serializers_still_give_drfs_data():
    sample = Sample(id=3, text="a", count=2)
    assert same_bytes(CustomRepresentation, sample, context={"user": 7}) == {"id": 3, "text": "a", "user": 7}
    assert same_bytes(WithContextField, sample, context={"user": 7}) == {"id": 3, "text": [7, "a"]}
    assert same_bytes(DynamicFields, sample, context={"drop": ["count"]}) == {"id": 3, "text": "a"}


def test_plain_classes_are_planned_once():
    assert _plan(AllFields) is _plan(AllFields) is not None
    assert [name for name, _, _, _, _ in _plan(Shaped)] == [
        "id",
        "title",
        "loud",
        "viewer",
        "item",
        "owner_name",
        "count",
        "price",
        "tags",
    ]


def test_fields_naming_a_model_value_are_read_directly():
    direct = {name: attribute for name, _, _, attribute, _ in _plan(Shaped)}
    assert direct == {
        "id": "id",
        "title": "text",
        "loud": None,  # a property: DRF's get_attribute
        "viewer": None,
        "item": None,  # a relation
        "owner_name": None,
        "count": "count",
        "price": "price",
        "tags": "extra",
    }


@settings(max_examples=30, deadline=None)
@given(st.lists(samples, max_size=5))
def test_rows_given_as_dicts_serialize_like_drf(rows):
    """A Mapping is read by key, as DRF reads it, not through the model attribute path."""
    values = [{name: row[name] for name in ("id", "text", "count", "price", "extra")} for row in rows]
    same_bytes(Shaped, values, many=True, context={"user": None})


def test_text_and_integers_of_their_exact_type_skip_the_conversion():
    as_is = {name: kind for name, _, _, _, kind in _plan(AllFields) if kind is not None}
    expected = {
        "id": int,
        "text": str,
        "body": str,
        "count": int,
        "email": str,
        "slug": str,
        "link": str,
        "address": str,
    }
    if type(AllFields().fields["big"]) is serializers.IntegerField:
        # DRF before 3.16 maps BigIntegerField to a plain IntegerField; later ones to BigIntegerField,
        # which may render as a string (COERCE_BIG_INTEGER_TO_STRING) and so keeps its conversion
        expected["big"] = int
    assert as_is == expected
    sample = Sample(id=1, text=TextLike("shown"), count=True, big=2**40)
    assert same_bytes(AllFields, sample)["text"] == "converted"  # a str subclass goes through str(), as in DRF
    assert same_bytes(AllFields, sample)["count"] == 1


class TextLike(str):
    def __str__(self) -> str:
        return "converted"


def test_a_callable_field_value_is_called_as_drf_calls_it():
    sample = Sample(id=1, count=3)
    sample.text = lambda: "called"
    assert same_bytes(AllFields, sample)["text"] == "called"
    assert same_bytes(Shaped, sample, context={})["title"] == "called"


@pytest.mark.django_db
def test_deferred_fields_load_as_drf_loads_them():
    Item.objects.bulk_create([Item(name=f"n{i}", value=i) for i in range(3)])
    data = same_bytes(ItemSerializer, Item.objects.only("id").order_by("id"), many=True)
    assert [(row["name"], row["value"]) for row in data] == [("n0", 0), ("n1", 1), ("n2", 2)]


def test_a_serializer_with_data_or_built_fields_takes_drfs_path():
    sample = Sample(id=1, text="a")
    touched = AllFields(sample)
    touched.fields.pop("text")
    assert "text" not in serializer_data(touched)
    bound = ItemSerializer(Item(pk=1, name="n", value=2), data={"name": "m"})
    assert bound.is_valid()
    assert serializer_data(bound) == {"id": 1, "name": "n", "value": 2}  # DRF's: the instance, not the data


def test_decimal_setting_changes_apply(settings):
    sample = Sample(id=1, price=decimal.Decimal("1.50"))
    assert same_bytes(AllFields, sample)["price"] == "1.50"
    settings.REST_FRAMEWORK = {"COERCE_DECIMAL_TO_STRING": False}
    assert same_bytes(AllFields, sample)["price"] == decimal.Decimal("1.50")


def test_serializer_classes_made_per_call_are_not_kept() -> None:
    # A project that builds its serializer class per request must not grow the plan cache forever.
    item = Item(pk=1, name="made", value=3)
    first: weakref.ref[type] | None = None
    for number in range(_MAX_PLANS + 10):
        made = type(f"Made{number}", (ItemSerializer,), {"__module__": __name__})
        assert serializer_data(made(item)) == {"id": 1, "name": "made", "value": 3}
        if first is None:
            first = weakref.ref(made)
        del made
    gc.collect()
    assert len(_plans) <= _MAX_PLANS
    assert first is not None and first() is None
