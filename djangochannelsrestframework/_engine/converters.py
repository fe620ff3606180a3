"""Validating and converting action arguments from their type hints.

:func:`converter_for` turns an annotation into a *converter*: a function ``(value, consumer) ->
value`` that returns the converted value or raises DRF's ``ValidationError`` with the messages of
DRF's field of that kind.  It is built once per action (see :mod:`.arguments`); calling it is the
only per-message cost.  Annotations it does not know (``Any``, no annotation, arbitrary classes)
give ``None``: the value passes through unchanged, as in DCRF.

The rules (see ``docs/typed_parameters.rst``): a JSON value must already have the JSON type the
hint names (no string -> number or number -> string coercion, ``true`` is not ``1``, ``1.5`` is not
an ``int``); types JSON lacks (``Decimal``, ``datetime``, ``date``, ``time``, ``UUID``) are parsed
from strings by DRF's fields.  :func:`lookup_converter` does the same for a model's lookup field,
with DRF's ``IntegerField`` rules (``"7"`` is accepted there, as in a URL).
"""

from __future__ import annotations

import datetime
import decimal
import enum
import types
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from django.db import models
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

#: ``(value, consumer) -> converted value``; raises ``ValidationError`` with a list or dict detail.
Converter = Callable[[Any, Any], Any]

EXPECTS_OBJECT = "Expected an object."
EXPECTS_LIST = "Expected a list."
UNEXPECTED_FIELD = "Unexpected field."


def _message(field: serializers.Field[Any, Any, Any, Any], key: str) -> str:
    return str(field.error_messages[key])


_INT_INVALID = _message(serializers.IntegerField(), "invalid")
_FLOAT_INVALID = _message(serializers.FloatField(), "invalid")
_STR_INVALID = _message(serializers.CharField(), "invalid")
_BOOL_INVALID = _message(serializers.BooleanField(), "invalid")
_REQUIRED = _message(serializers.Field(), "required")
_NULL = _message(serializers.Field(), "null")
_INVALID_CHOICE = _message(serializers.ChoiceField(choices=()), "invalid_choice")


def _fail(message: str) -> typing.NoReturn:
    raise ValidationError([message])


def null_message(convert: Converter) -> str:
    """What a ``null`` where ``convert`` expects a value is told: containers keep their own message."""
    return str(getattr(convert, "null_message", _NULL))


def _refusing_null(message: str, convert: Converter) -> Converter:
    convert.null_message = message  # type: ignore[attr-defined]
    return convert


def _to_int(value: Any, consumer: Any) -> int:
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float and value.is_integer():
        return int(value)
    _fail(_INT_INVALID)


def _to_float(value: Any, consumer: Any) -> float:
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    _fail(_FLOAT_INVALID)


def _to_str(value: Any, consumer: Any) -> str:
    if type(value) is str:
        return value
    _fail(_STR_INVALID)


def _to_bool(value: Any, consumer: Any) -> bool:
    if type(value) is bool:
        return value
    _fail(_BOOL_INVALID)


def _drf_field(field: serializers.Field[Any, Any, Any, Any], accepts: tuple[type, ...] | None = None) -> Converter:
    """Parse with a DRF field's ``to_internal_value``; JSON types outside ``accepts`` get its ``invalid``
    message (``None``: the field itself refuses every JSON type it cannot parse)."""
    parse = field.to_internal_value
    if accepts is None:
        return lambda value, consumer: parse(value)
    invalid = _message(field, "invalid")

    def convert(value: Any, consumer: Any) -> Any:
        if type(value) not in accepts:
            _fail(invalid)
        return parse(value)

    return convert


def _choices(values: Sequence[Any], result: Callable[[Any], Any]) -> Converter:
    """A value equal to one of ``values`` and of the same JSON type (``true`` is not ``1``)."""
    allowed = {(type(value), value): result(value) for value in values}

    def convert(value: Any, consumer: Any) -> Any:
        try:
            return allowed[(type(value), value)]
        except (KeyError, TypeError):  # TypeError: an unhashable value (a list or an object)
            _fail(_INVALID_CHOICE.format(input=value))

    return convert


def _list_of(item: Converter | None) -> Converter:
    def convert(value: Any, consumer: Any) -> Any:
        if not isinstance(value, list):
            _fail(EXPECTS_LIST)
        if item is None:
            return value
        result = []
        errors: dict[str, Any] = {}
        for index, element in enumerate(value):
            try:
                result.append(item(element, consumer))
            except ValidationError as exc:
                errors[str(index)] = exc.detail
        if errors:
            raise ValidationError(errors)
        return result

    return _refusing_null(EXPECTS_LIST, convert)


def _dict_of(item: Converter | None) -> Converter:
    def convert(value: Any, consumer: Any) -> Any:
        if not isinstance(value, dict):
            _fail(EXPECTS_OBJECT)
        if item is None:
            return value
        result = {}
        errors: dict[str, Any] = {}
        for key, element in value.items():
            try:
                result[key] = item(element, consumer)
            except ValidationError as exc:
                errors[key] = exc.detail
        if errors:
            raise ValidationError(errors)
        return result

    return _refusing_null(EXPECTS_OBJECT, convert)


def _typed_dict(hint: Any) -> Converter:
    hints = typing.get_type_hints(hint)
    required = frozenset(getattr(hint, "__required_keys__", hints))
    fields = {name: _field_converter(annotation) for name, annotation in hints.items()}

    def convert(value: Any, consumer: Any) -> Any:
        if not isinstance(value, dict):
            _fail(EXPECTS_OBJECT)
        result = {}
        errors: dict[str, Any] = {}
        for key, element in value.items():
            if key not in fields:
                errors[key] = [UNEXPECTED_FIELD]
                continue
            try:
                result[key] = fields[key](element, consumer)
            except ValidationError as exc:
                errors[key] = exc.detail
        for key in required:
            if key not in value:
                errors[key] = [_REQUIRED]
        if errors:
            raise ValidationError(errors)
        return result

    return _refusing_null(EXPECTS_OBJECT, convert)


def _serializer(serializer_class: type[serializers.BaseSerializer[Any]]) -> Converter:
    def convert(value: Any, consumer: Any) -> Any:
        serializer = serializer_class(data=value, context=serializer_context(consumer))
        if not serializer.is_valid():
            raise ValidationError(dict(serializer.errors))
        return serializer.validated_data

    return convert


def serializer_context(consumer: Any) -> dict[str, Any]:
    """The context a serializer validating arguments gets: the consumer's own when it has one."""
    get_context = getattr(consumer, "get_serializer_context", None)
    if callable(get_context):
        return dict(get_context())
    return {"scope": getattr(consumer, "scope", None), "consumer": consumer}


def _union(members: list[Converter | None]) -> Converter | None:
    if any(member is None for member in members):
        return None  # one member accepts anything

    def convert(value: Any, consumer: Any) -> Any:
        first: ValidationError | None = None
        for member in members:
            try:
                return member(value, consumer)  # type: ignore[misc]
            except ValidationError as exc:
                first = first or exc
        raise first  # type: ignore[misc]

    return convert


def _optional(inner: Converter | None) -> Converter | None:
    if inner is None:
        return None

    def convert(value: Any, consumer: Any) -> Any:
        return None if value is None else inner(value, consumer)

    return convert


def _field_converter(hint: Any) -> Converter:
    """Like :func:`converter_for`, for a value inside a container: ``None`` is refused unless Optional."""
    convert = converter_for(hint)
    if convert is None:
        return lambda value, consumer: value
    if _allows_none(hint):
        return convert

    message = null_message(convert)

    def not_null(value: Any, consumer: Any) -> Any:
        if value is None:
            _fail(message)
        return convert(value, consumer)

    return not_null


def _allows_none(hint: Any) -> bool:
    if hint is None or hint is type(None) or hint is Any:
        return True
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return type(None) in typing.get_args(hint)
    if typing.get_origin(hint) is typing.Literal:
        return None in typing.get_args(hint)
    return False


def allows_none(hint: Any) -> bool:
    """Whether ``null`` is a valid value for a parameter annotated ``hint``."""
    return _allows_none(hint)


_SCALARS: dict[Any, Converter] = {
    int: _to_int,
    float: _to_float,
    str: _to_str,
    bool: _to_bool,
    decimal.Decimal: _drf_field(serializers.DecimalField(max_digits=None, decimal_places=None), (str, int, float)),
    datetime.datetime: _drf_field(serializers.DateTimeField()),
    datetime.date: _drf_field(serializers.DateField()),
    datetime.time: _drf_field(serializers.TimeField()),
    uuid.UUID: _drf_field(serializers.UUIDField(), (str,)),
}


def converter_for(hint: Any) -> Converter | None:
    """The converter for a parameter annotated ``hint``; ``None`` when values pass through unchecked."""
    scalar = _SCALARS.get(hint)
    if scalar is not None:
        return scalar
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return converter_for(args[0])
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in args if arg is not type(None)]
        inner = converter_for(members[0]) if len(members) == 1 else _union([converter_for(m) for m in members])
        return _optional(inner) if len(members) < len(args) else inner
    if origin is typing.Literal:
        return _choices(args, lambda value: value)
    if origin in (list, Sequence) or hint in (list, Sequence):
        return _list_of(_field_converter(args[0]) if args and args[0] is not Any else None)
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return _dict_of(_field_converter(args[1]) if len(args) == 2 and args[1] is not Any else None)
    if typing.is_typeddict(hint):
        return _typed_dict(hint)
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return _choices([member.value for member in hint], hint)
        if issubclass(hint, serializers.BaseSerializer):
            return _serializer(hint)
        if issubclass(hint, dict):
            return _dict_of(None)
    return None


# -- lookups of generic consumers ---------------------------------------------------------------


def _lookup_for_field(field: Any) -> Converter | None:
    target = getattr(field, "target_field", None)
    if field.is_relation and target is not None:
        return _lookup_for_field(target)
    if isinstance(field, (models.IntegerField, models.AutoField)):
        parse = serializers.IntegerField().to_internal_value
        return lambda value, consumer: _fail(_INT_INVALID) if type(value) is bool else parse(value)
    if isinstance(field, models.UUIDField):
        return _drf_field(serializers.UUIDField(), (str,))
    if isinstance(field, (models.CharField, models.TextField)):
        invalid = _STR_INVALID
        return lambda value, consumer: str(value) if type(value) in (str, int) else _fail(invalid)
    return None


@lru_cache(maxsize=1024)
def lookup_converter(model: type[models.Model], field_name: str) -> Converter | None:
    """The converter for values of ``model``'s ``field_name`` used as a lookup (``None``: unchecked)."""
    try:
        field = model._meta.pk if field_name == "pk" else model._meta.get_field(field_name)
    except Exception:  # a lookup through a relation ("owner__name") or a name Django cannot resolve
        return None
    return _lookup_for_field(field)
