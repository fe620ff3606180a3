"""System checks (``manage.py check``) for the library's settings and the project's consumers.

They run when ``"djangochannelsrestframework"`` (or ``"djangochannelsrestframework.browsable"``)
is in ``INSTALLED_APPS``.  Consumers are found in the websocket routes of ``ASGI_APPLICATION``
and among the imported subclasses of ``AsyncAPIConsumer``.  docs/checks.rst lists every id.
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
import inspect
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from ._engine.overrides import Hooks, overrides
from .limits import COUNTER_NAMES
from .settings import DEFAULTS, IMPORT_STRINGS, SETTING_NAME

TAG = "djangochannelsrestframework"

#: What ``@action`` without parentheses leaves in the class: the decorator ``action()`` returns.
_DECORATOR_FACTORIES = {"action.<locals>.decorator": "action"}

_LIST_SETTINGS = {"DEFAULT_PERMISSION_CLASSES": "dcrf.E003", "DEFAULT_FILTER_BACKENDS": "dcrf.E004"}


def register() -> None:
    """Register the checks with Django (idempotent)."""
    checks.register(check_settings, TAG)
    checks.register(check_consumers, TAG)
    checks.register(check_conn_max_age, TAG)
    checks.register(check_redis_socket_timeout, TAG)


# -- settings --------------------------------------------------------------------------------------


def check_settings(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``DJANGO_CHANNELS_REST_API``: a dict of known keys whose import strings import."""
    user_settings = getattr(settings, SETTING_NAME, None)
    if user_settings is None:
        return []
    if not isinstance(user_settings, dict):
        return [
            checks.Error(
                f"{SETTING_NAME} must be a dict, not {type(user_settings).__name__}.",
                id="dcrf.E002",
                obj=SETTING_NAME,
            )
        ]
    messages: list[checks.CheckMessage] = []
    for key, value in user_settings.items():
        if key not in DEFAULTS:
            close = difflib.get_close_matches(str(key), DEFAULTS, n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Known keys: {', '.join(sorted(DEFAULTS))}."
            messages.append(
                checks.Warning(
                    f"Unknown key {key!r} in {SETTING_NAME}; it is ignored.",
                    hint=hint,
                    id="dcrf.W001",
                    obj=SETTING_NAME,
                )
            )
            continue
        if key in _LIST_SETTINGS and not isinstance(value, (list, tuple)):
            messages.append(
                checks.Error(
                    f"{SETTING_NAME}[{key!r}] must be a list or tuple, not {value!r}.",
                    hint=f"Write [{value!r}].",
                    id=_LIST_SETTINGS[key],
                    obj=SETTING_NAME,
                )
            )
            continue
        if key in IMPORT_STRINGS or (key == "CONNECTION_COUNTER" and value not in COUNTER_NAMES):
            messages.extend(_import_errors(key, value))
    return messages


def _import_errors(key: str, value: Any) -> list[checks.CheckMessage]:
    paths = value if isinstance(value, (list, tuple)) else [value]
    messages: list[checks.CheckMessage] = []
    for path in paths:
        if not isinstance(path, str):
            continue
        try:
            import_string(path)
        except ImportError as exc:
            messages.append(
                checks.Error(
                    f"{SETTING_NAME}[{key!r}]: cannot import {path!r} ({exc}).", id="dcrf.E008", obj=SETTING_NAME
                )
            )
    return messages


# -- redis-py 8's socket timeout --------------------------------------------------------------------

#: What the fix sets: above channels_redis's blocking read (5 s), yet a dead connection is noticed.
SUGGESTED_SOCKET_TIMEOUT = 30
_UNSET = object()


def _redis_py_major() -> int | None:
    try:
        return int(importlib.metadata.version("redis").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def _host_socket_timeout(host: Any) -> Any:
    """The ``socket_timeout`` a channels_redis host entry sets (``_UNSET`` when it sets none)."""
    if isinstance(host, dict):
        if "socket_timeout" in host:
            return host["socket_timeout"]
        host = host.get("address")
    if isinstance(host, str):
        values = parse_qs(urlsplit(host).query).get("socket_timeout")
        if values:
            try:
                return float(values[0])
            except ValueError:
                return _UNSET
    return _UNSET


def _fixed_host(host: Any) -> dict[str, Any]:
    if isinstance(host, dict):
        return {**host, "socket_timeout": SUGGESTED_SOCKET_TIMEOUT}
    if isinstance(host, (tuple, list)):
        host = f"redis://{host[0]}:{host[1]}"
    return {"address": host, "socket_timeout": SUGGESTED_SOCKET_TIMEOUT}


def check_redis_socket_timeout(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """A channels_redis ``RedisChannelLayer`` on redis-py 8 or newer whose hosts keep redis-py's 5 s
    ``socket_timeout``: the layer's blocking read of a consumer's messages waits as long, so plain
    channels consumers on it are torn down after a few quiet seconds (ours retry the read)."""
    major = _redis_py_major()
    if major is None or major < 8:
        return []
    try:
        from channels_redis.core import RedisChannelLayer
    except ImportError:
        return []
    messages: list[checks.CheckMessage] = []
    for alias, layer in (getattr(settings, "CHANNEL_LAYERS", None) or {}).items():
        try:
            backend = import_string(layer["BACKEND"])
        except Exception:
            continue
        if not (isinstance(backend, type) and issubclass(backend, RedisChannelLayer)):
            continue
        block = getattr(backend, "brpop_timeout", 5)
        hosts = (layer.get("CONFIG") or {}).get("hosts") or ["redis://localhost:6379"]
        if isinstance(hosts, (str, bytes)):
            continue  # channels_redis refuses it itself
        short = [
            host
            for host in hosts
            if (timeout := _host_socket_timeout(host)) is _UNSET or (timeout is not None and timeout <= block)
        ]
        if not short:
            continue
        fixed = [_fixed_host(host) for host in hosts]
        messages.append(
            checks.Warning(
                f"CHANNEL_LAYERS[{alias!r}] is a channels_redis RedisChannelLayer and redis-py "
                f"{importlib.metadata.version('redis')} times out socket reads after 5 s unless its hosts set "
                f"socket_timeout; the layer blocks up to {block} s reading a consumer's messages, so plain "
                "channels consumers on it (your own, channelsmultiplexer's) are closed after a few quiet seconds.",
                hint=f'Set CHANNEL_LAYERS[{alias!r}]["CONFIG"]["hosts"] = {fixed!r} '
                f"(socket_timeout above {block} s, or None).",
                id="dcrf.W004",
                obj="CHANNEL_LAYERS",
            )
        )
    return messages


# -- finding consumers -----------------------------------------------------------------------------


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    subclass: type
    for subclass in cls.__subclasses__():
        found.append(subclass)
        found.extend(_subclasses(subclass))
    return list(dict.fromkeys(found))


def _has_user_subclasses(cls: type) -> bool:
    subclasses: list[type] = cls.__subclasses__()
    return any(not _ours(subclass) for subclass in subclasses)


def _ours(cls: type) -> bool:
    return cls.__module__ == "djangochannelsrestframework" or cls.__module__.startswith("djangochannelsrestframework.")


def _in_apps(cls: type, app_configs: Sequence[AppConfig] | None) -> bool:
    if app_configs is None:
        return True
    return any(cls.__module__ == app.name or cls.__module__.startswith(app.name + ".") for app in app_configs)


def find_consumers() -> tuple[list[type], set[type], list[checks.CheckMessage]]:
    """The consumer classes to check, those among them mounted in ``ASGI_APPLICATION``'s websocket
    routes, and a warning if that application could not be imported."""
    from .consumers import AsyncAPIConsumer
    from .routes import unmounted_consumers, websocket_routes

    messages: list[checks.CheckMessage] = []
    routed: list[type] = []
    application_path = getattr(settings, "ASGI_APPLICATION", None)
    if application_path:
        try:
            application = import_string(application_path)
        except Exception as exc:
            messages.append(
                checks.Warning(
                    f"Could not import ASGI_APPLICATION {application_path!r} to find its websocket consumers: "
                    f"{type(exc).__name__}: {exc}",
                    hint="Only the consumer classes imported so far were checked.",
                    id="dcrf.W003",
                )
            )
        else:
            routed = [route.consumer_class for route in websocket_routes(application)]
            messages.extend(_unmounted_messages(unmounted_consumers(application)))
    routed_api = [cls for cls in routed if issubclass(cls, AsyncAPIConsumer)]
    candidates = list(dict.fromkeys([*routed_api, *_subclasses(AsyncAPIConsumer)]))
    return [cls for cls in candidates if not _ours(cls)], set(routed_api), messages


def _unmounted_messages(routes: Iterable[Any]) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"The websocket route {route.path!r} of ASGI_APPLICATION is the consumer class "
            f"{route.consumer_class.__name__} itself; clients that connect to it get an error.",
            hint=f"Mount it as {route.consumer_class.__name__}.as_asgi().",
            id="dcrf.E009",
            obj=_label(route.consumer_class),
        )
        for route in routes
    ]


def check_consumers(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Run :func:`consumer_messages` on every consumer :func:`find_consumers` finds."""
    consumers, routed, messages = find_consumers()
    for cls in consumers:
        if _in_apps(cls, app_configs):
            # A class that is not routed and has subclasses is taken to be a base, completed by them.
            base = cls not in routed and _has_user_subclasses(cls)
            messages.extend(consumer_messages(cls, base=base))
    return messages


# -- one consumer ----------------------------------------------------------------------------------


def consumer_messages(cls: type, base: bool = False) -> list[checks.CheckMessage]:
    """Every mistake found in one consumer class; ``base`` skips what subclasses may complete."""
    messages: list[checks.CheckMessage] = []
    messages.extend(_channel_layer(cls))
    messages.extend(_list_attribute(cls, "permission_classes", "dcrf.E003"))
    messages.extend(_list_attribute(cls, "filter_backends", "dcrf.E004"))
    if not base:
        messages.extend(_generic_requirements(cls))
    messages.extend(_serializer_class(cls))
    messages.extend(_uncalled_decorators(cls))
    messages.extend(_overridden_actions(cls))
    return messages


def _label(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _static_members(cls: type) -> Iterable[tuple[str, Any]]:
    for name in dir(cls):
        if not name.startswith("__"):
            yield name, inspect.getattr_static(cls, name, None)


def _is_observer(value: Any) -> bool:
    from .observer.base_observer import BaseObserver
    from .observer.generics import _GenericModelObserver

    return isinstance(value, (BaseObserver, _GenericModelObserver))


def _channel_layer(cls: type) -> list[checks.CheckMessage]:
    alias = getattr(cls, "channel_layer_alias", "default")
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    if alias in layers:
        return []
    observers = [name for name, value in _static_members(cls) if _is_observer(value)]
    groups = inspect.getattr_static(cls, "groups", None)
    if not observers and not (isinstance(groups, (list, tuple, set)) and groups):
        return []
    uses = f"observers ({', '.join(observers)})" if observers else "groups"
    return [
        checks.Error(
            f"{cls.__name__} uses {uses}, which need a channel layer, but CHANNEL_LAYERS has no {alias!r} layer.",
            hint='Set CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}} for one '
            "process, or channels_redis.core.RedisChannelLayer for several.",
            id="dcrf.E001",
            obj=_label(cls),
        )
    ]


def _list_attribute(cls: type, name: str, check_id: str) -> list[checks.CheckMessage]:
    from .settings import SettingDefault

    raw = inspect.getattr_static(cls, name, None)
    if raw is None or isinstance(raw, SettingDefault):  # the setting's value is checked on its own
        return []
    if isinstance(raw, (list, tuple)):
        return []
    shown = getattr(raw, "__name__", None) or repr(raw)
    return [
        checks.Error(
            f"{name} of {cls.__name__} must be a list or tuple, not {raw!r}.",
            hint=f"Write {name} = [{shown}].",
            id=check_id,
            obj=_label(cls),
        )
    ]


def _requirements(cls: type) -> tuple[bool, bool]:
    """Whether ``cls``'s built-in actions need a queryset, and a serializer."""
    from . import mixins
    from .observer.generics import ObserverModelInstanceMixin

    needs_queryset = needs_serializer = False
    for mixin, queryset, serializer in (
        (mixins.CreateModelMixin, False, True),
        (mixins.ListModelMixin, True, True),
        (mixins.RetrieveModelMixin, True, True),
        (mixins.UpdateModelMixin, True, True),
        (mixins.PatchModelMixin, True, True),
        (mixins.DeleteModelMixin, True, False),
        (ObserverModelInstanceMixin, True, True),
    ):
        if issubclass(cls, mixin):
            needs_queryset |= queryset
            needs_serializer |= serializer
    return needs_queryset, needs_serializer


def _generic_requirements(cls: type) -> list[checks.CheckMessage]:
    from .generics import GenericAsyncAPIConsumer

    if not issubclass(cls, GenericAsyncAPIConsumer):
        return []
    needs_queryset, needs_serializer = _requirements(cls)
    messages: list[checks.CheckMessage] = []
    if needs_queryset and cls.queryset is None and not overrides(cls, Hooks(GenericAsyncAPIConsumer, "get_queryset")):
        messages.append(
            checks.Error(
                f"{cls.__name__} has actions that read objects but neither a queryset nor get_queryset().",
                hint="Set queryset = YourModel.objects.all(), or override get_queryset().",
                id="dcrf.E005",
                obj=_label(cls),
            )
        )
    if (
        needs_serializer
        and cls.serializer_class is None
        and not overrides(cls, Hooks(GenericAsyncAPIConsumer, "get_serializer_class", "get_serializer"))
    ):
        messages.append(
            checks.Error(
                f"{cls.__name__} has actions that serialize objects but neither a serializer_class nor "
                "get_serializer_class().",
                hint="Set serializer_class = YourModelSerializer, or override get_serializer_class().",
                id="dcrf.E006",
                obj=_label(cls),
            )
        )
    return messages


def _serializer_class(cls: type) -> list[checks.CheckMessage]:
    """``serializer_class`` set to a model (or to a serializer instance) instead of a serializer class."""
    from django.db.models import Model
    from rest_framework.serializers import BaseSerializer

    raw = inspect.getattr_static(cls, "serializer_class", None)
    if isinstance(raw, type) and issubclass(raw, Model):
        return [
            checks.Error(
                f"serializer_class of {cls.__name__} is the model {raw.__name__}, not a serializer.",
                hint=f"Write a serializer for it (a ModelSerializer whose Meta.model = {raw.__name__}) "
                "and set serializer_class to that class.",
                id="dcrf.E010",
                obj=_label(cls),
            )
        ]
    if isinstance(raw, BaseSerializer):
        return [
            checks.Error(
                f"serializer_class of {cls.__name__} is an instance of {type(raw).__name__}, not a serializer class.",
                hint=f"Write serializer_class = {type(raw).__name__} (without calling it).",
                id="dcrf.E010",
                obj=_label(cls),
            )
        ]
    return []


def _uncalled_decorator(value: Any) -> str | None:
    """The decorator a class attribute was left as by ``@action`` (without parentheses) and friends."""
    if getattr(value, "__module__", None) == "djangochannelsrestframework.decorators":
        return _DECORATOR_FACTORIES.get(getattr(value, "__qualname__", ""))
    if isinstance(value, functools.partial):
        from django.db.models import Model
        from django.dispatch import Signal

        from .observer import ModelObserver, Observer

        model = value.keywords.get("model_cls")
        if value.func is ModelObserver and not (isinstance(model, type) and issubclass(model, Model)):
            return "model_observer"
        if value.func is Observer and not isinstance(value.keywords.get("signal"), Signal):
            return "observer"
    return None


def _uncalled_decorators(cls: type) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for name, value in vars(cls).items():
        decorator = _uncalled_decorator(value)
        if decorator is None:
            continue
        usage = "@model_observer(YourModel)" if decorator == "model_observer" else f"@{decorator}()"
        if decorator == "observer":
            usage = "@observer(your_signal)"
        messages.append(
            checks.Error(
                f"{cls.__name__}.{name} is not an action or observer: @{decorator} was used without calling it.",
                hint=f"Write {usage} (with parentheses).",
                id="dcrf.E007",
                obj=_label(cls),
            )
        )
    return messages


def _overridden_actions(cls: type) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for name, value in vars(cls).items():
        if name.startswith("__") or not inspect.isfunction(value) or getattr(value, "action", False) is True:
            continue
        parent = next((base for base in cls.__mro__[1:] if getattr(getattr(base, name, None), "action", False)), None)
        if parent is None or _uncalled_decorator(value) is not None:
            continue
        messages.append(
            checks.Warning(
                f"{cls.__name__}.{name} overrides the action {name!r} of {parent.__name__} without "
                "@action(), so clients can no longer call it.",
                hint="Decorate the override with @action() too (or rename it if it is a helper).",
                id="dcrf.W002",
                obj=_label(cls),
            )
        )
    return messages


# -- database connections of live data --------------------------------------------------------------


def check_conn_max_age(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``CONN_MAX_AGE = 0`` with live lists or instance subscriptions: each event's read opens a new
    database connection, which makes a burst of writes fall behind (docs/performance.rst)."""
    from .observer.instance import ObserverModelInstanceMixin
    from .observer.lists import ListSubscriptionMixin

    databases = getattr(settings, "DATABASES", None) or {}
    fresh = [
        alias
        for alias, database in databases.items()
        if isinstance(database, dict)
        and database.get("CONN_MAX_AGE", 0) == 0
        and "sqlite" not in str(database.get("ENGINE", ""))  # opening SQLite costs no round trip
    ]
    if not fresh:
        return []
    live = [
        cls
        for cls in find_consumers()[0]
        if _in_apps(cls, app_configs) and issubclass(cls, (ObserverModelInstanceMixin, ListSubscriptionMixin))
    ]
    if not live:
        return []
    names = ", ".join(cls.__name__ for cls in live[:3]) + (", ..." if len(live) > 3 else "")
    return [
        checks.Warning(
            f"CONN_MAX_AGE is 0 while {names} serve live lists or instance subscriptions: every event's "
            "read opens a new database connection, and a burst of writes leaves the servers behind.",
            hint="Set CONN_MAX_AGE to 60 (seconds) or more; see docs/performance.rst.",
            id="dcrf.W005",
            obj=f"DATABASES[{fresh[0]!r}]",
        )
    ]


__all__ = [
    "SUGGESTED_SOCKET_TIMEOUT",
    "TAG",
    "check_conn_max_age",
    "check_consumers",
    "check_redis_socket_timeout",
    "check_settings",
    "consumer_messages",
    "find_consumers",
    "register",
]
