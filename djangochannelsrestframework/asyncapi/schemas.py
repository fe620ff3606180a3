"""JSON Schemas of action parameters and replies, from type hints and DRF serializers.

The schemas say what :mod:`djangochannelsrestframework._engine.converters` accepts: an ``int`` parameter
is ``{"type": "integer"}``, a ``datetime`` a string in ``date-time`` format, and so on.  Hints the
converters pass through unchecked give the empty schema ``{}`` (any value).
"""

from __future__ import annotations

import datetime
import decimal
import enum
import types
import typing
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from rest_framework import serializers

Schema = dict[str, Any]

_SCALARS: dict[Any, Schema] = {
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    bool: {"type": "boolean"},
    decimal.Decimal: {"type": ["string", "number"], "format": "decimal"},
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    datetime.time: {"type": "string", "format": "time"},
    uuid.UUID: {"type": "string", "format": "uuid"},
}


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]} if schema else schema


def hint_schema(hint: Any) -> Schema:
    """The JSON Schema of values a parameter annotated ``hint`` accepts."""
    scalar = _SCALARS.get(hint)
    if scalar is not None:
        return dict(scalar)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return hint_schema(args[0])
    if origin in (typing.Union, types.UnionType):
        members = [hint_schema(arg) for arg in args if arg is not type(None)]
        if any(not member for member in members):
            return {}
        schema = members[0] if len(members) == 1 else {"anyOf": members}
        return _nullable(schema) if len(members) < len(args) else schema
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (list, Sequence) or hint in (list, Sequence):
        items = hint_schema(args[0]) if args else {}
        return {"type": "array", "items": items} if items else {"type": "array"}
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        values = hint_schema(args[1]) if len(args) == 2 else {}
        return {"type": "object", "additionalProperties": values} if values else {"type": "object"}
    if typing.is_typeddict(hint):
        hints = typing.get_type_hints(hint)
        required = sorted(getattr(hint, "__required_keys__", hints))
        typed_dict: Schema = {
            "type": "object",
            "properties": {name: hint_schema(value) for name, value in hints.items()},
            "additionalProperties": False,
        }
        if required:
            typed_dict["required"] = required
        return typed_dict
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return {"enum": [member.value for member in hint]}
        if issubclass(hint, serializers.BaseSerializer):
            return serializer_schema(hint, writing=True)
        if issubclass(hint, dict):
            return {"type": "object"}
    return {}


def _field_schema(field: Any, writing: bool) -> Schema:
    schema: Schema
    if isinstance(field, serializers.ListSerializer):
        schema = {"type": "array", "items": _serializer_instance_schema(field.child, writing)}
    elif isinstance(field, serializers.BaseSerializer):
        schema = _serializer_instance_schema(field, writing)
    elif isinstance(field, serializers.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(field, serializers.IntegerField):
        schema = {"type": "integer"}
        for key, attribute in (("minimum", "min_value"), ("maximum", "max_value")):
            if getattr(field, attribute, None) is not None:
                schema[key] = getattr(field, attribute)
    elif isinstance(field, serializers.FloatField):
        schema = {"type": "number"}
    elif isinstance(field, serializers.DecimalField):
        schema = {"type": ["string", "number"] if writing else "string", "format": "decimal"}
    elif isinstance(field, serializers.DateTimeField):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(field, serializers.DateField):
        schema = {"type": "string", "format": "date"}
    elif isinstance(field, serializers.TimeField):
        schema = {"type": "string", "format": "time"}
    elif isinstance(field, serializers.UUIDField):
        schema = {"type": "string", "format": "uuid"}
    elif isinstance(field, serializers.ChoiceField):
        schema = {"enum": list(field.choices)}
    elif isinstance(field, serializers.ListField):
        schema = {"type": "array", "items": _field_schema(field.child, writing)}
    elif isinstance(field, serializers.DictField):
        schema = {"type": "object", "additionalProperties": _field_schema(field.child, writing)}
    elif isinstance(field, serializers.ManyRelatedField):
        schema = {"type": "array", "items": _field_schema(field.child_relation, writing)}
    elif isinstance(field, serializers.PrimaryKeyRelatedField):
        schema = {}  # the related model's pk: usually an integer, but not always
    elif isinstance(field, serializers.CharField):
        schema = {"type": "string"}
        if getattr(field, "max_length", None) is not None:
            schema["maxLength"] = field.max_length
    else:
        schema = {}
    if getattr(field, "allow_null", False) and schema:
        schema = _nullable(schema)
    if field.help_text:
        schema = {**schema, "description": str(field.help_text)}
    return schema


def _serializer_instance_schema(serializer: Any, writing: bool) -> Schema:
    fields = getattr(serializer, "fields", None)
    if fields is None:
        return {"type": "object"}
    properties: Schema = {}
    required: list[str] = []
    for name, field in fields.items():
        if (writing and field.read_only) or (not writing and field.write_only):
            continue
        properties[name] = _field_schema(field, writing)
        if writing and field.required:
            required.append(name)
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def serializer_schema(serializer_class: Any, writing: bool) -> Schema:
    """The object a serializer reads (``writing``: what a client sends) or writes (what it receives)."""
    try:
        serializer = serializer_class()
    except Exception:  # a serializer that needs arguments or context to build its fields
        return {"type": "object"}
    return _serializer_instance_schema(serializer, writing)


__all__ = [
    "Schema",
    "hint_schema",
    "serializer_schema",
]
