"""``serializer.data`` with the field set built once per ModelSerializer class, not once per call.

DRF builds a ModelSerializer's fields (model introspection, deep copies of declared fields) for
every serializer it instantiates, although for most classes they depend on the class alone.
:func:`serializer_data` keeps, per class, the readable fields of one instance and represents
later instances with them, producing exactly what ``serializer.data`` would.

Only classes whose fields cannot depend on the context are planned: DRF's own ``__init__``,
``get_fields`` and ``to_representation``, and only DRF field types that never read the context
(plain value fields, primary-key relations, nested serializers made of those).
``SerializerMethodField`` methods are called on the serializer being represented, with its own
context, as DRF does.  Anything else (hyperlinked fields, custom fields, a custom
``to_representation``, a partial serializer, fields already built on the instance) takes DRF's path.
"""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from django.db import models
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from .overrides import Hooks, overrides

#: Field types whose ``get_attribute``/``to_representation`` never read the context or the parent.
_VALUE_FIELDS: frozenset[type] = frozenset(
    {
        drf_fields.BooleanField,
        drf_fields.CharField,
        drf_fields.EmailField,
        drf_fields.RegexField,
        drf_fields.SlugField,
        drf_fields.URLField,
        drf_fields.UUIDField,
        drf_fields.IPAddressField,
        drf_fields.IntegerField,
        drf_fields.FloatField,
        drf_fields.DecimalField,
        drf_fields.DateTimeField,
        drf_fields.DateField,
        drf_fields.TimeField,
        drf_fields.DurationField,
        drf_fields.ChoiceField,
        drf_fields.MultipleChoiceField,
        drf_fields.JSONField,
        drf_fields.ReadOnlyField,
        drf_fields.DictField,
        drf_fields.ListField,
        drf_fields.ModelField,
        relations.PrimaryKeyRelatedField,
        relations.StringRelatedField,
        relations.SlugRelatedField,
    }
) | frozenset(getattr(drf_fields, name) for name in ("BigIntegerField",) if hasattr(drf_fields, name))
#: A field reads its value with ``getattr`` while it keeps DRF's ``Field.get_attribute``.
_FIELD_READ = Hooks(drf_fields.Field, "get_attribute")
#: Methods a planned class must take from DRF (overrides may read the context or the instance).
_DRF_METHODS = Hooks(
    serializers.ModelSerializer,
    "__init__",
    "get_fields",
    "get_field_names",
    "get_default_field_names",
    "get_extra_kwargs",
    "build_field",
    "include_extra_kwargs",
    "to_representation",
    "_readable_fields",
    "fields",
    "data",
)

#: A planned field: (name, field of the class's template instance, SerializerMethodField method or None,
#: the model attribute DRF's ``Field.get_attribute`` would read for it on a model instance, or None,
#: the type of value its ``to_representation`` returns unchanged, or None).
_Entry = tuple[str, Any, str | None, str | None, type | None]

#: ``to_representation`` methods that return a value of exactly this type as it is (``str(text)``,
#: ``int(number)``): the call is skipped for such values.
_RETURNED_AS_IS: dict[Any, type] = {
    drf_fields.CharField.to_representation: str,
    drf_fields.IntegerField.to_representation: int,
}
#: Plans by serializer class, and by ``(class, "nested")`` for one nested in another.
_plans: dict[type | tuple[type, str], tuple[_Entry, ...] | None] = {}
#: Serializer classes made on the fly (one per request) are held at most until this many plans
#: exist; then every plan is dropped and rebuilt on demand (once per class, a template instance).
_MAX_PLANS = 1024


def _forget_plans(**kwargs: Any) -> None:
    """Fields read some settings when they are made (``COERCE_DECIMAL_TO_STRING``, formats)."""
    _plans.clear()


setting_changed.connect(_forget_plans, dispatch_uid="djangochannelsrestframework._engine.serializer_plans")


def _static_field(field: Any, allow_methods: bool) -> bool:
    """Whether ``field`` represents a value the same way whatever the serializer's context."""
    if getattr(field.default, "requires_context", False):
        return False
    kind = type(field)
    if kind is drf_fields.SerializerMethodField:
        return allow_methods
    if kind is relations.ManyRelatedField:
        return _static_field(field.child_relation, allow_methods=False)
    if kind in (drf_fields.ListField, drf_fields.DictField):
        return _static_field(field.child, allow_methods=False)
    if kind is relations.PrimaryKeyRelatedField and field.pk_field is not None:
        return _static_field(field.pk_field, allow_methods=False)
    if kind is serializers.ListSerializer:
        return _plan(type(field.child), allow_methods=False) is not None
    if isinstance(field, serializers.BaseSerializer):
        return _plan(kind, allow_methods=False) is not None
    return kind in _VALUE_FIELDS


def _plan(cls: type, allow_methods: bool = True) -> tuple[_Entry, ...] | None:
    """The readable fields of ``cls`` if they can be shared between its instances (else ``None``)."""
    key = cls if allow_methods else (cls, "nested")
    if key in _plans:
        return _plans[key]
    _plans[key] = None  # also guards recursive nesting
    if not issubclass(cls, serializers.ModelSerializer) or issubclass(cls, serializers.HyperlinkedModelSerializer):
        return None
    if overrides(cls, _DRF_METHODS):
        return None
    try:
        template = cls(context={})
        readable = list(template._readable_fields)
    except Exception:
        return None
    values = _plain_value_attributes(cls)
    entries: list[_Entry] = []
    for field in readable:
        if not _static_field(field, allow_methods):
            return None
        method = field.method_name if type(field) is drf_fields.SerializerMethodField else None
        as_is = _RETURNED_AS_IS.get(type(field).to_representation) if method is None else None
        entries.append((str(field.field_name), field, method, _direct_attribute(field, values), as_is))
    plan = tuple(entries)
    _plans[key] = plan
    return plan


def _plain_value_attributes(cls: type) -> frozenset[str]:
    """The attributes of the serializer's model that hold a concrete, non-relational field's value."""
    model = getattr(getattr(cls, "Meta", None), "model", None)
    if not (isinstance(model, type) and issubclass(model, models.Model)):
        return frozenset()
    return frozenset(f.attname for f in model._meta.concrete_fields if not f.is_relation and f.attname == f.name)


def _direct_attribute(field: Any, values: frozenset[str]) -> str | None:
    """The model attribute ``field`` reads, when DRF's ``Field.get_attribute`` comes down to
    ``getattr(instance, name)`` for a model instance: a one-step source naming a field value."""
    if overrides(type(field), _FIELD_READ):
        return None
    attrs = field.source_attrs
    return attrs[0] if len(attrs) == 1 and attrs[0] in values else None


#: Marks a field value not read by the direct path (``None`` is a value).
_UNREAD: Any = object()


def _represent(plan: tuple[_Entry, ...], serializer: Any, instance: Any) -> dict[str, Any]:
    """``Serializer.to_representation`` over the planned fields."""
    ret: dict[str, Any] = {}
    # A model instance is not a Mapping: DRF's get_attribute then reads each field value with getattr.
    is_model = isinstance(instance, models.Model)
    for name, field, method, direct, as_is in plan:
        try:
            attribute = _UNREAD
            if direct is not None and is_model:
                try:
                    attribute = getattr(instance, direct)
                except Exception:  # a deferred field that cannot load: DRF's path maps the error
                    attribute = _UNREAD
                if callable(attribute):  # DRF would call it: leave that to DRF's path
                    attribute = _UNREAD
            if attribute is _UNREAD:
                attribute = field.get_attribute(instance)
        except SkipField:
            continue
        check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        if check_for_none is None:
            ret[name] = None
        elif method is not None:
            ret[name] = getattr(serializer, method)(attribute)
        elif type(attribute) is as_is:
            ret[name] = attribute
        else:
            ret[name] = field.to_representation(attribute)
    return ret


def _plannable(serializer: Any) -> bool:
    return (
        serializer.instance is not None
        and not hasattr(serializer, "initial_data")
        and not hasattr(serializer, "_data")
        and not serializer.partial
        and "fields" not in serializer.__dict__
    )


def serializer_data(serializer: Any) -> Any:
    """``serializer.data``, computed with the class's shared fields when that gives the same result."""
    if len(_plans) >= _MAX_PLANS:  # here, between plans: never under a plan being built
        _plans.clear()
    kind = type(serializer)
    if kind is serializers.ListSerializer:
        child = serializer.child
        plan = _plan(type(child))
        if plan is None or not _plannable(serializer) or "fields" in child.__dict__ or child.partial:
            return serializer.data
        data = serializer.instance
        iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
        result: Any = ReturnList([_represent(plan, child, item) for item in iterable], serializer=serializer)
    else:
        plan = _plan(kind)
        if plan is None or not _plannable(serializer):
            return serializer.data
        result = ReturnDict(_represent(plan, serializer, serializer.instance), serializer=serializer)
    serializer._data = result
    return result
