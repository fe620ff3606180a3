"""System checks: every id on a project that makes the mistake and on one that does not, run as a user
runs them (``manage.py check`` in a fresh process), plus the cases one settings module cannot hold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.core import checks
from django.test import override_settings

from djangochannelsrestframework.checks import check_conn_max_age, check_consumers, check_settings, consumer_messages
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.observer import model_observer, observer
from tests.support.app.models import Item

ROOT = Path(__file__).resolve().parents[2]


def manage_check(settings_module: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": settings_module}
    return subprocess.run(
        [sys.executable, "-m", "django", "check", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


BROKEN_REPORT = """\
SystemCheckError: System check identified some issues:

ERRORS:
DJANGO_CHANNELS_REST_API: (dcrf.E004) DJANGO_CHANNELS_REST_API['DEFAULT_FILTER_BACKENDS'] must be a list or tuple, \
not 'rest_framework.filters.SearchFilter'.
	HINT: Write ['rest_framework.filters.SearchFilter'].
DJANGO_CHANNELS_REST_API: (dcrf.E008) DJANGO_CHANNELS_REST_API['DEFAULT_PAGINATION_CLASS']: cannot import \
'nowhere.Paginator' (No module named 'nowhere').
tests.support.checks_project.broken_consumers.BareDecoratorConsumer: (dcrf.E007) BareDecoratorConsumer.ping is not an \
action or observer: @action was used without calling it.
	HINT: Write @action() (with parentheses).
tests.support.checks_project.broken_consumers.GuardedConsumer: (dcrf.E003) permission_classes of GuardedConsumer must \
be a list or tuple, not <class 'djangochannelsrestframework.permissions.IsAuthenticated'>.
	HINT: Write permission_classes = [IsAuthenticated].
tests.support.checks_project.broken_consumers.ModelAsSerializerConsumer: (dcrf.E010) serializer_class of \
ModelAsSerializerConsumer is the model Item, not a serializer.
	HINT: Write a serializer for it (a ModelSerializer whose Meta.model = Item) and set serializer_class to that class.
tests.support.checks_project.broken_consumers.NoQuerysetConsumer: (dcrf.E005) NoQuerysetConsumer has actions that read \
objects but neither a queryset nor get_queryset().
	HINT: Set queryset = YourModel.objects.all(), or override get_queryset().
tests.support.checks_project.broken_consumers.NoSerializerConsumer: (dcrf.E006) NoSerializerConsumer has actions \
that serialize objects but neither a serializer_class nor get_serializer_class().
	HINT: Set serializer_class = YourModelSerializer, or override get_serializer_class().
tests.support.checks_project.broken_consumers.ObservingConsumer: (dcrf.E001) ObservingConsumer uses observers \
(item_changes), which need a channel layer, but CHANNEL_LAYERS has no 'default' layer.
	HINT: Set CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}} for one process, \
or channels_redis.core.RedisChannelLayer for several.
tests.support.checks_project.broken_consumers.SearchingConsumer: (dcrf.E004) filter_backends of SearchingConsumer must \
be a list or tuple, not <class 'rest_framework.filters.SearchFilter'>.
	HINT: Write filter_backends = [SearchFilter].
tests.support.checks_project.broken_consumers.UnmountedConsumer: (dcrf.E009) The websocket route '/ws/unmounted/' of \
ASGI_APPLICATION is the consumer class UnmountedConsumer itself; clients that connect to it get an error.
	HINT: Mount it as UnmountedConsumer.as_asgi().

WARNINGS:
DJANGO_CHANNELS_REST_API: (dcrf.W001) Unknown key 'MAX_MESAGE_SIZE' in DJANGO_CHANNELS_REST_API; it is ignored.
	HINT: Did you mean 'MAX_MESSAGE_SIZE'?
tests.support.checks_project.broken_consumers.ChildConsumer: (dcrf.W002) ChildConsumer.ping overrides the action \
'ping' of ParentConsumer without @action(), so clients can no longer call it.
	HINT: Decorate the override with @action() too (or rename it if it is a helper).

System check identified 12 issues (0 silenced).
"""


def test_manage_check_names_each_mistake_of_a_broken_project() -> None:
    done = manage_check("tests.support.checks_project.settings_broken")
    assert done.returncode == 1
    assert done.stderr == BROKEN_REPORT


def test_manage_check_is_clean_on_the_same_project_done_right() -> None:
    done = manage_check("tests.support.checks_project.settings_clean")
    assert (done.returncode, done.stdout, done.stderr) == (0, "System check identified no issues (0 silenced).\n", "")


def test_manage_check_is_clean_on_the_demo() -> None:
    env_dir = ROOT / "example"
    done = manage_check("demo_project.settings", cwd=env_dir)
    assert (done.returncode, done.stdout, done.stderr) == (0, "System check identified no issues (0 silenced).\n", "")
    # the demo installs the browsable app, which registers the library's checks
    tagged = manage_check("demo_project.settings", "--tag", "djangochannelsrestframework", cwd=env_dir)
    assert (tagged.returncode, tagged.stdout) == (0, "System check identified no issues (0 silenced).\n")


def ids(messages: list[checks.CheckMessage]) -> list[str]:
    return [message.id or "" for message in messages]


@override_settings(DJANGO_CHANNELS_REST_API=[("PAGE_SIZE", 10)])
def test_e002_settings_must_be_a_dict() -> None:
    assert [(m.id, m.msg) for m in check_settings()] == [
        ("dcrf.E002", "DJANGO_CHANNELS_REST_API must be a dict, not list.")
    ]


@override_settings(DJANGO_CHANNELS_REST_API={"PAGE_SIZE": 10, "DEFAULT_PERMISSION_CLASSES": []})
def test_known_settings_pass() -> None:
    assert check_settings() == []


@override_settings(DJANGO_CHANNELS_REST_API={"DEFAULT_PERMISSION_CLASSES": "x.IsAuthenticated"})
def test_e003_default_permission_classes_must_be_a_list() -> None:
    assert ids(check_settings()) == ["dcrf.E003"]


@override_settings(DJANGO_CHANNELS_REST_API={"THE_PAGE_SIZE": 10, "ZZZ": 1})
def test_w001_hint_without_a_close_match_lists_the_keys() -> None:
    far = check_settings()[1]
    assert far.hint.startswith("Known keys: CONNECTION_COUNTER, CONNECTION_COUNT_TTL, DEFAULT_FILTER_BACKENDS, ")
    assert check_settings()[0].hint == "Did you mean 'PAGE_SIZE'?"


@override_settings(ASGI_APPLICATION="tests.nowhere.application")
def test_w003_unimportable_asgi_application() -> None:
    warnings = [m for m in check_consumers() if m.id == "dcrf.W003"]
    assert [(m.msg, m.hint) for m in warnings] == [
        (
            "Could not import ASGI_APPLICATION 'tests.nowhere.application' to find its websocket consumers: "
            "ModuleNotFoundError: No module named 'tests.nowhere'",
            "Only the consumer classes imported so far were checked.",
        )
    ]


class Grouped(AsyncAPIConsumer):
    groups = ["lobby"]


class Plain(AsyncAPIConsumer):
    @action()
    async def ping(self) -> Any:
        return "pong", 200


def test_e001_class_level_groups_need_a_layer() -> None:
    with override_settings(CHANNEL_LAYERS={}):
        assert ids(consumer_messages(Grouped)) == ["dcrf.E001"]
        assert consumer_messages(Plain) == []
    assert consumer_messages(Grouped) == []


def test_e001_names_another_alias() -> None:
    class OtherLayer(Grouped):
        channel_layer_alias = "other"

    [message] = consumer_messages(OtherLayer)
    assert message.msg.endswith("but CHANNEL_LAYERS has no 'other' layer.")


def test_e007_every_decorator_used_without_calling_it() -> None:
    class Bare(AsyncAPIConsumer):
        @action
        def one(self) -> None: ...

        @model_observer
        async def three(self, message: Any, **kwargs: Any) -> None: ...

        @observer
        async def four(self, message: Any, **kwargs: Any) -> None: ...

    assert [(m.id, m.msg, m.hint) for m in consumer_messages(Bare)] == [
        (
            "dcrf.E007",
            "Bare.one is not an action or observer: @action was used without calling it.",
            "Write @action() (with parentheses).",
        ),
        (
            "dcrf.E007",
            "Bare.three is not an action or observer: @model_observer was used without calling it.",
            "Write @model_observer(YourModel) (with parentheses).",
        ),
        (
            "dcrf.E007",
            "Bare.four is not an action or observer: @observer was used without calling it.",
            "Write @observer(your_signal) (with parentheses).",
        ),
    ]


def test_decorators_used_right_pass() -> None:
    class Right(AsyncAPIConsumer):
        @model_observer(Item)
        async def changes(self, message: Any, **kwargs: Any) -> None: ...

        @action()
        async def ping(self) -> Any:
            return "pong", 200

    assert consumer_messages(Right) == []


def test_w002_helpers_that_are_not_overrides_pass() -> None:
    class Child(Plain):
        def helper(self) -> None: ...

    assert consumer_messages(Child) == []


def test_an_unrouted_base_class_is_not_asked_for_a_queryset() -> None:
    from tests.support.checks_project import clean_consumers

    assert consumer_messages(clean_consumers.BaseListConsumer, base=True) == []
    assert ids(consumer_messages(clean_consumers.BaseListConsumer)) == ["dcrf.E005", "dcrf.E006"]


@override_settings(DJANGO_CHANNELS_REST_API={"CONNECTION_COUNTER": "nowhere.Counter"})
def test_e008_connection_counter_import_string() -> None:
    assert [(m.id, m.msg) for m in check_settings()] == [
        (
            "dcrf.E008",
            "DJANGO_CHANNELS_REST_API['CONNECTION_COUNTER']: cannot import 'nowhere.Counter' "
            "(No module named 'nowhere').",
        )
    ]


@override_settings(DJANGO_CHANNELS_REST_API={"CONNECTION_COUNTER": "redis"})
def test_connection_counter_names_are_no_import_strings() -> None:
    assert check_settings() == []


FRESH_CONNECTIONS_REPORT = """\
System check identified some issues:

WARNINGS:
DATABASES['default']: (dcrf.W005) CONN_MAX_AGE is 0 while LiveItemConsumer, LiveListConsumer serve live lists or \
instance subscriptions: every event's read opens a new database connection, and a burst of writes leaves the \
servers behind.
	HINT: Set CONN_MAX_AGE to 60 (seconds) or more; see docs/performance.rst.

System check identified 1 issue (0 silenced).
"""


def test_w005_live_data_on_fresh_database_connections() -> None:
    done = manage_check("tests.support.checks_project.settings_fresh_connections")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", FRESH_CONNECTIONS_REPORT)


def test_w005_not_with_persistent_connections_or_sqlite() -> None:
    postgres = {"ENGINE": "django.db.backends.postgresql", "NAME": "test"}
    kept = {"default": {**postgres, "CONN_MAX_AGE": 60}, "other": {**postgres, "CONN_MAX_AGE": None}}
    sqlite = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    for databases in (kept, sqlite):
        with override_settings(DATABASES=databases):
            assert check_conn_max_age() == []
    import tests.support.checks_project.asgi_live  # noqa: F401  (live consumers, found among the subclasses)

    with override_settings(DATABASES={"default": postgres}):
        assert ids(check_conn_max_age()) == ["dcrf.W005"]


def test_e010_a_serializer_instance_is_not_a_serializer_class() -> None:
    from rest_framework import serializers

    from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
    from djangochannelsrestframework.mixins import ListModelMixin

    class ItemSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
        class Meta:
            model = Item
            fields = ["id"]

    class CalledSerializerConsumer(ListModelMixin, GenericAsyncAPIConsumer):
        queryset = Item.objects.all()
        serializer_class = ItemSerializer()  # type: ignore[assignment]

    (message,) = consumer_messages(CalledSerializerConsumer)
    assert (message.id, message.msg, message.hint) == (
        "dcrf.E010",
        "serializer_class of CalledSerializerConsumer is an instance of ItemSerializer, not a serializer class.",
        "Write serializer_class = ItemSerializer (without calling it).",
    )


def test_e009_finds_a_class_routed_behind_middleware_and_nested_routers() -> None:
    from channels.auth import AuthMiddlewareStack
    from channels.routing import ProtocolTypeRouter, URLRouter
    from channels.security.websocket import AllowedHostsOriginValidator
    from django.urls import path

    from djangochannelsrestframework.routes import unmounted_consumers, websocket_routes

    class PlainConsumer(AsyncAPIConsumer):
        pass

    inner = URLRouter([path("plain/", PlainConsumer), path("ok/", PlainConsumer.as_asgi())])
    application = ProtocolTypeRouter(
        {"websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter([path("ws/", inner)])))}
    )
    assert [(route.path, route.consumer_class) for route in unmounted_consumers(application)] == [
        ("/ws/plain/", PlainConsumer)
    ]
    assert [route.path for route in websocket_routes(application)] == ["/ws/ok/"]


def test_every_check_id_has_a_row_in_the_checks_page() -> None:
    import re

    import djangochannelsrestframework.checks

    source = Path(djangochannelsrestframework.checks.__file__).read_text()  # the installed one under nox
    page = (ROOT / "docs" / "checks.rst").read_text()
    used = set(re.findall(r'"(dcrf\.[EW]\d{3})"', source))
    rows = set(re.findall(r"^   \* - ``(dcrf\.[EW]\d{3})``$", page, re.MULTILINE))
    assert {"dcrf.E009", "dcrf.E010"} <= used
    assert used <= rows


def redis_py_8() -> bool:
    from importlib.metadata import version

    return int(version("redis").split(".")[0]) >= 8


def test_w004_fires_on_the_docs_old_redis_snippet_with_redis_py_8_and_not_with_the_fix() -> None:
    from djangochannelsrestframework.checks import check_redis_socket_timeout

    old_snippet = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [("127.0.0.1", 6379)], "expiry": 60, "capacity": 1000},
        }
    }
    with override_settings(CHANNEL_LAYERS=old_snippet):
        messages = check_redis_socket_timeout()
    if not redis_py_8():
        assert messages == []
        return
    (warning,) = messages
    from importlib.metadata import version

    assert (warning.id, warning.obj, warning.level) == ("dcrf.W004", "CHANNEL_LAYERS", checks.WARNING)
    assert warning.msg == (
        f"CHANNEL_LAYERS['default'] is a channels_redis RedisChannelLayer and redis-py {version('redis')} times "
        "out socket reads after 5 s unless its hosts set socket_timeout; the layer blocks up to 5 s reading a "
        "consumer's messages, so plain channels consumers on it (your own, channelsmultiplexer's) are closed "
        "after a few quiet seconds."
    )
    fix = "[{'address': 'redis://127.0.0.1:6379', 'socket_timeout': 30}]"
    assert warning.hint == (
        f"""Set CHANNEL_LAYERS['default']["CONFIG"]["hosts"] = {fix} (socket_timeout above 5 s, or None)."""
    )
    # The docs' snippet now, and every other way of setting it, is silent.
    from docs.examples.observers_settings import CHANNEL_LAYERS

    fixed_hosts: list[Any] = [
        [{"address": "redis://127.0.0.1:6379", "socket_timeout": 30}],
        [{"address": "redis://127.0.0.1:6379", "socket_timeout": None}],
        ["redis://127.0.0.1:6379/0?socket_timeout=10"],
        [{"host": "127.0.0.1", "port": 6379, "socket_timeout": 6}],
    ]
    for layers in [CHANNEL_LAYERS] + [
        {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": hosts}}}
        for hosts in fixed_hosts
    ]:
        with override_settings(CHANNEL_LAYERS=layers):
            assert check_redis_socket_timeout() == [], layers
    # Too short is no fix; no hosts is redis-py's default; pub/sub polls and needs nothing.
    for layers in (
        {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": ["redis://h?socket_timeout=5"]},
            }
        },
        {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}},
    ):
        with override_settings(CHANNEL_LAYERS=layers):
            assert ids(check_redis_socket_timeout()) == ["dcrf.W004"]
    pubsub = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": ["redis://h"]}}
    }
    with override_settings(CHANNEL_LAYERS=pubsub):
        assert check_redis_socket_timeout() == []
