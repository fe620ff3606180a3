"""Binding message keys to the keyword arguments of actions and hooks.

DCRF passes every key of a message straight into ``method(**kwargs)``: an unknown
or missing key raises ``TypeError`` and drops the socket.  Here each callable's
signature is read once and cached; a message is checked against it and problems
come back as a 400 reply that names the offending keys.  An action's type hints are
turned into converters (:mod:`.converters`) once, in its :class:`ActionPlan`; each
message then only runs them.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rest_framework.exceptions import ValidationError

from .converters import Converter, allows_none, converter_for, null_message, serializer_context

UNEXPECTED_ARGUMENT = "Unexpected argument."
REQUIRED_ARGUMENT = "This argument is required."
NULL_NOT_ALLOWED = "This field may not be null."


@dataclass(frozen=True)
class Parameters:
    """What a callable accepts by keyword."""

    names: frozenset[str]
    required: frozenset[str]
    var_keyword: bool
    #: name of the ``self`` parameter, which a message must not try to set.
    bound_name: str | None = None

    def accepts(self, name: str) -> bool:
        return self.var_keyword or name in self.names


@dataclass(frozen=True)
class ActionPlan:
    """How a message's keys become an action's arguments; built once per action function."""

    params: Parameters
    #: ``(name, converter, message for null)`` for each parameter whose type hint is checked;
    #: the message is ``None`` where ``null`` is allowed.
    converters: tuple[tuple[str, Converter, str | None], ...]
    #: ``@action(serializer_class=...)``: its ``validated_data`` are the arguments.
    serializer_class: Any = None


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
    names: set[str] = set()
    required: set[str] = set()
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
    return Parameters(frozenset(names), frozenset(required), var_keyword, bound_name)


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


def type_hints(func: Callable[..., Any]) -> dict[str, Any]:
    """The resolved type hints of ``func`` (``{}`` when they cannot be resolved)."""
    try:
        return typing.get_type_hints(inspect.unwrap(func), include_extras=True)
    except Exception:  # unresolvable forward references: leave the values unchecked
        return {}


@lru_cache(maxsize=4096)
def _plan(func: Callable[..., Any]) -> ActionPlan:
    params = _parameters(func, True)
    hints = type_hints(func)
    converters: list[tuple[str, Converter, str | None]] = []
    for param in inspect.signature(func).parameters.values():
        if param.name not in params.names or param.name not in hints:
            continue
        hint = hints[param.name]
        convert = converter_for(hint)
        if convert is not None:
            null_allowed = allows_none(hint) or param.default is None
            converters.append((param.name, convert, None if null_allowed else null_message(convert)))
    serializer_class = (getattr(func, "kwargs", None) or {}).get("serializer_class")
    return ActionPlan(params, tuple(converters), serializer_class)


def action_plan(method: Callable[..., Any]) -> ActionPlan:
    """The cached :class:`ActionPlan` of an action (a bound method or a function defined on a class)."""
    return _plan(_unwrap(method))


def bind_arguments(
    plan: ActionPlan, kwargs: Mapping[str, Any], injected: frozenset[str], consumer: Any
) -> dict[str, Any]:
    """The action's keyword arguments from a message: checked and converted, or a 400 ``ValidationError``
    naming each offending key.  ``injected`` are names the framework supplies (``action``, ``request_id``)."""
    if plan.serializer_class is not None:
        data = {key: value for key, value in kwargs.items() if key not in injected}
        serializer = plan.serializer_class(data=data, context=serializer_context(consumer))
        if not serializer.is_valid():
            raise ValidationError(dict(serializer.errors))
        return dict(serializer.validated_data)
    params = plan.params
    errors: dict[str, Any] = {}
    for key in kwargs:
        if key == params.bound_name or not (params.accepts(key) or key in injected):
            errors[key] = [UNEXPECTED_ARGUMENT]
    for name in params.required:
        if name not in kwargs and name not in injected:
            errors[name] = [REQUIRED_ARGUMENT]
    call_kwargs = dict(kwargs)
    for name, convert, refuse_null in plan.converters:
        if name not in kwargs:
            continue
        value = kwargs[name]
        if value is None:
            if refuse_null is not None:
                errors[name] = [refuse_null]
            continue
        try:
            call_kwargs[name] = convert(value, consumer)
        except ValidationError as exc:
            errors[name] = exc.detail
    if errors:
        raise ValidationError(errors)
    return call_kwargs


def check_arguments(params: Parameters, kwargs: Mapping[str, Any], injected: frozenset[str]) -> None:
    """Raise a 400 ``ValidationError`` naming unknown or missing arguments (types are not checked)."""
    bind_arguments(ActionPlan(params, ()), kwargs, injected, None)


def lookup_key(consumer: Any) -> str:
    """The message key that names the object of a detail action (``pk`` unless the consumer says otherwise)."""
    get_lookup_key = getattr(consumer, "get_lookup_key", None)
    if callable(get_lookup_key):
        return str(get_lookup_key())
    return str(getattr(consumer, "lookup_url_kwarg", None) or getattr(consumer, "lookup_field", None) or "pk")
