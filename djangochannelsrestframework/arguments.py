"""Binding message keys to the keyword arguments of actions and hooks.

DCRF passes every key of a message straight into ``method(**kwargs)``: an unknown
or missing key raises ``TypeError`` and drops the socket.  Here each callable's
signature is read once and cached; a message is checked against it and problems
come back as a 400 reply that names the offending keys.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rest_framework.exceptions import ValidationError

_EXPECTS_OBJECT = "Expected an object."
_EXPECTS_LIST = "Expected a list."


@dataclass(frozen=True)
class Parameters:
    """What a callable accepts by keyword."""

    names: frozenset[str]
    required: frozenset[str]
    var_keyword: bool
    #: parameters whose annotation asks for a JSON object (dict) or list; checked before the call.
    containers: tuple[tuple[str, type, bool], ...]
    #: name of the ``self`` parameter, which a message must not try to set.
    bound_name: str | None = None

    def accepts(self, name: str) -> bool:
        return self.var_keyword or name in self.names


def _container_type(annotation: Any) -> tuple[type, bool] | None:
    """``(dict|list, allows_none)`` when the annotation is a dict/list type (optionally Optional)."""
    allows_none = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        allows_none = len(members) < len(typing.get_args(annotation))
        if len(members) != 1:
            return None
        annotation = members[0]
        origin = typing.get_origin(annotation)
    base = origin or annotation
    if base in (dict, Mapping) or (isinstance(base, type) and base is not str and issubclass(base, dict)):
        return dict, allows_none
    if base is list:
        return list, allows_none
    return None


def _unwrap(func: Callable[..., Any]) -> Callable[..., Any]:
    return getattr(func, "__func__", func)


@lru_cache(maxsize=4096)
def _parameters(func: Callable[..., Any], skip_first: bool) -> Parameters:
    signature = inspect.signature(func)
    params = list(signature.parameters.values())
    bound_name = None
    if skip_first and params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        bound_name = params[0].name
        params = params[1:]
    try:
        hints = typing.get_type_hints(inspect.unwrap(func))
    except Exception:  # unresolvable forward references: skip type checks
        hints = {}
    names: set[str] = set()
    required: set[str] = set()
    containers: list[tuple[str, type, bool]] = []
    var_keyword = False
    for param in params:
        if param.kind is param.VAR_KEYWORD:
            var_keyword = True
            continue
        if param.kind in (param.VAR_POSITIONAL, param.POSITIONAL_ONLY):
            continue
        names.add(param.name)
        if param.default is param.empty:
            required.add(param.name)
        container = _container_type(hints.get(param.name, param.annotation))
        if container is not None:
            containers.append((param.name, *container))
    return Parameters(frozenset(names), frozenset(required), var_keyword, tuple(containers), bound_name)


def parameters_of(func: Callable[..., Any]) -> Parameters:
    """The keyword parameters of ``func``; for methods (bound or not) ``self`` is left out."""
    bound = inspect.ismethod(func)
    target = _unwrap(func)
    if bound:
        return _parameters(target, True)
    return _parameters(target, False)


def method_parameters(func: Callable[..., Any]) -> Parameters:
    """The keyword parameters of a function defined on a class (its first argument is ``self``)."""
    return _parameters(_unwrap(func), True)


def accepted_kwargs(func: Callable[..., Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Drop the keys ``func`` cannot take, for hooks whose users may omit ``**kwargs``."""
    params = parameters_of(func)
    if params.var_keyword and params.bound_name not in kwargs:
        return kwargs
    return {key: value for key, value in kwargs.items() if params.accepts(key) and key != params.bound_name}


def check_arguments(params: Parameters, kwargs: Mapping[str, Any], injected: frozenset[str]) -> None:
    """Raise a 400 ``ValidationError`` naming unknown, missing or ill-typed arguments.

    ``injected`` are names the framework supplies itself (``action``, ``request_id``).
    """
    errors: dict[str, list[str]] = {}
    for key in kwargs:
        if key == params.bound_name or not (params.accepts(key) or key in injected):
            errors[key] = ["Unexpected argument."]
    for name in params.required:
        if name not in kwargs and name not in injected:
            errors[name] = ["This argument is required."]
    for name, expected, allows_none in params.containers:
        if name in kwargs:
            value = kwargs[name]
            if value is None and allows_none:
                continue
            if not isinstance(value, expected):
                errors[name] = [_EXPECTS_OBJECT if expected is dict else _EXPECTS_LIST]
    if errors:
        raise ValidationError(errors)
