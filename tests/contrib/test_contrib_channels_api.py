"""channels-api's documented examples and messages, through the compatibility layer."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, User
from django.test import override_settings

from djangochannelsrestframework.contrib.channels_api import ResourceBinding
from docs.examples.channels_api import MyPermission
from docs.examples.channels_api_routing import also, application
from tests.support.envelope import reply
from tests.support.polls.models import Question
from tests.support.polls.serializers import QuestionSerializer

pytestmark = pytest.mark.django_db(transaction=True)

#: Seconds to wait for a reply or an event (generous: the machine may be busy).
WAIT = 5


def framed(stream: str, payload: Any) -> dict[str, Any]:
    return {"stream": stream, "payload": payload}


async def opened(app: Any = application, user: Any = None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(app, "/")
    communicator.scope["user"] = user or AnonymousUser()
    connected, _ = await communicator.connect(timeout=WAIT)
    assert connected
    return communicator


async def ask(communicator: WebsocketCommunicator, stream: str, payload: dict[str, Any]) -> Any:
    await communicator.send_json_to(framed(stream, payload))
    return await communicator.receive_json_from(timeout=WAIT)


def question(pk: int, text: str, published: bool = False) -> dict[str, Any]:
    return {"id": pk, "question_text": text, "published": published}


async def test_the_documented_create_message() -> None:
    communicator = await opened()
    answer = await ask(
        communicator,
        "questions",
        {
            "action": "create",
            "data": {"question_text": "What is your favorite python package?"},
            "request_id": "some-guid",
        },
    )
    pk = (await Question.objects.aget()).pk
    assert answer == framed(
        "questions",
        reply("create", question(pk, "What is your favorite python package?"), status=201, request_id="some-guid"),
    )
    await communicator.disconnect()


async def test_retrieve_update_delete_as_channels_api_answered_them() -> None:
    item = await Question.objects.acreate(question_text="q")
    communicator = await opened()
    assert await ask(communicator, "questions", {"action": "retrieve", "pk": item.pk, "request_id": 1}) == framed(
        "questions", reply("retrieve", question(item.pk, "q"), request_id=1)
    )
    assert await ask(
        communicator, "questions", {"action": "update", "pk": item.pk, "data": {"question_text": "r"}, "request_id": 2}
    ) == framed("questions", reply("update", question(item.pk, "r"), request_id=2))
    assert await ask(communicator, "questions", {"action": "delete", "pk": item.pk, "request_id": 3}) == framed(
        "questions", reply("delete", {}, request_id=3)
    )
    for pk in (item.pk, "invalid-pk-value"):
        assert await ask(communicator, "questions", {"action": "retrieve", "pk": pk, "request_id": 4}) == framed(
            "questions", reply("retrieve", status=404, errors=["Not found."], request_id=4)
        )
    assert await ask(communicator, "questions", {"action": "create", "data": {}, "request_id": 5}) == framed(
        "questions", reply("create", status=400, errors=[{"question_text": ["This field is required."]}], request_id=5)
    )
    await communicator.disconnect()


async def test_patch_changes_only_the_fields_sent() -> None:
    item = await Question.objects.acreate(question_text="q", published=True)
    communicator = await opened()
    assert await ask(
        communicator, "questions", {"action": "patch", "pk": item.pk, "data": {"question_text": "r"}, "request_id": 1}
    ) == framed("questions", reply("patch", question(item.pk, "r", published=True), request_id=1))
    # update replaces the object: a required field left out is an error, as in channels-api
    assert await ask(
        communicator, "questions", {"action": "update", "pk": item.pk, "data": {"published": False}, "request_id": 2}
    ) == framed(
        "questions", reply("update", status=400, errors=[{"question_text": ["This field is required."]}], request_id=2)
    )
    await communicator.disconnect()


@override_settings(CHANNELS_API={"DEFAULT_PAGE_SIZE": 2})
async def test_list_pages_by_the_channels_api_setting() -> None:
    rows = [await Question.objects.acreate(question_text=f"q{n}") for n in range(3)]
    communicator = await opened()
    assert await ask(communicator, "questions", {"action": "list", "data": None, "request_id": 1}) == framed(
        "questions", reply("list", [question(row.pk, row.question_text) for row in rows[:2]], request_id=1)
    )
    assert await ask(communicator, "questions", {"action": "list", "data": {"page": 2}, "request_id": 2}) == framed(
        "questions", reply("list", [question(rows[2].pk, "q2")], request_id=2)
    )
    assert await ask(communicator, "questions", {"action": "list", "data": {"page": 3}, "request_id": 3}) == framed(
        "questions", reply("list", status=404, errors=["That page contains no results"], request_id=3)
    )
    await communicator.disconnect()


async def test_the_documented_custom_actions() -> None:
    first = await Question.objects.acreate(question_text="q1")
    await Question.objects.acreate(question_text="q2")
    communicator = await opened()
    # run the publish() custom action on Question 1 (its pk comes in data, as channels-api clients send it)
    assert await ask(communicator, "questions", {"action": "publish", "data": {"pk": str(first.pk)}}) == framed(
        "questions", reply("publish", {"id": first.pk, "published": True})
    )
    # run the report() custom action on all Questions
    assert await ask(communicator, "questions", {"action": "report"}) == framed(
        "questions", reply("report", {"questions": 2, "published": 1})
    )
    await communicator.disconnect()


def event(action: str, pk: Any, data: Any) -> dict[str, Any]:
    """A subscription event as channels-api sent it."""
    return {"action": action, "pk": pk, "data": data, "model": "polls.question"}


async def test_the_documented_subscriptions_send_channels_api_events() -> None:
    first = await Question.objects.acreate(question_text="q1")
    second = await Question.objects.acreate(question_text="q2")
    communicator = await opened()
    # get an event when any question is updated
    assert await ask(
        communicator, "questions", {"action": "subscribe", "data": {"action": "update"}, "request_id": "any"}
    ) == framed("questions", reply("subscribe", {"action": "update"}, request_id="any"))
    # get an event when question(1) is updated
    assert await ask(
        communicator,
        "questions",
        {"action": "subscribe", "pk": str(first.pk), "data": {"action": "update"}, "request_id": "one"},
    ) == framed("questions", reply("subscribe", {"action": "update"}, request_id="one"))
    second.question_text = "changed"
    await second.asave()
    assert await communicator.receive_json_from(timeout=WAIT) == framed(
        "questions", event("update", second.pk, question(second.pk, "changed"))
    )
    # subscribed through the model and through the object: still one frame for the socket
    first.question_text = "changed too"
    await first.asave()
    assert await communicator.receive_json_from(timeout=WAIT) == framed(
        "questions", event("update", first.pk, question(first.pk, "changed too"))
    )
    assert await communicator.receive_nothing()
    assert await ask(communicator, "questions", {"action": "subscribe", "data": {}, "request_id": "x"}) == framed(
        "questions", reply("subscribe", status=400, errors=["action required"], request_id="x")
    )
    await communicator.disconnect()


async def test_create_and_delete_events_name_the_model_and_the_pk() -> None:
    communicator = await opened()
    for kind in ("create", "delete"):
        assert await ask(communicator, "questions", {"action": "subscribe", "data": {"action": kind}}) == framed(
            "questions", reply("subscribe", {"action": kind})
        )
    item = await Question.objects.acreate(question_text="new")
    assert await communicator.receive_json_from(timeout=WAIT) == framed(
        "questions", event("create", item.pk, question(item.pk, "new"))
    )
    pk = item.pk
    await item.adelete()
    # the row is gone when the event is sent: a delete carries its pk only
    assert await communicator.receive_json_from(timeout=WAIT) == framed("questions", event("delete", pk, {"pk": pk}))
    assert await communicator.receive_nothing()
    await communicator.disconnect()


@pytest.mark.parametrize("configured", ["setting", "attribute"])
async def test_standard_subscription_events_are_replies_per_request_id(configured: str) -> None:
    from djangochannelsrestframework.contrib.channels_api import WebsocketDemultiplexer
    from docs.examples.channels_api import QuestionBinding

    class StandardEvents(QuestionBinding):
        subscription_events = "standard"

    app = WebsocketDemultiplexer.for_bindings(StandardEvents if configured == "attribute" else QuestionBinding)
    item = await Question.objects.acreate(question_text="q")
    with override_settings(CHANNELS_API={"SUBSCRIPTION_EVENTS": "standard"} if configured == "setting" else {}):
        communicator = await opened(app)
        for request_id, pk in (("any", None), ("one", item.pk)):
            assert await ask(
                communicator,
                "questions",
                {"action": "subscribe", "pk": pk, "data": {"action": "update"}, "request_id": request_id},
            ) == framed("questions", reply("subscribe", {"action": "update"}, request_id=request_id))
        item.question_text = "r"
        await item.asave()
        events = [await communicator.receive_json_from(timeout=WAIT) for _ in range(2)]
        assert sorted(events, key=lambda frame: frame["payload"]["request_id"]) == [
            framed("questions", reply("update", question(item.pk, "r"), request_id="any")),
            framed("questions", reply("update", question(item.pk, "r"), request_id="one")),
        ]
        assert await communicator.receive_nothing()
        await communicator.disconnect()


async def test_is_authenticated_guards_a_binding() -> None:
    communicator = await opened()
    assert await ask(communicator, "private-questions", {"action": "list", "request_id": 1}) == framed(
        "private-questions", reply("list", status=401, errors=["Permission Denied"], request_id=1)
    )
    await communicator.disconnect()
    user = await User.objects.acreate(username="alice")
    communicator = await opened(user=user)
    assert await ask(communicator, "private-questions", {"action": "list", "request_id": 2}) == framed(
        "private-questions", reply("list", [], request_id=2)
    )
    await communicator.disconnect()


async def test_an_unknown_action_is_an_invalid_action() -> None:
    communicator = await opened()
    assert await ask(communicator, "questions", {"action": "nope", "pk": 1, "request_id": 1}) == framed(
        "questions", reply("nope", status=400, errors=["Invalid Action"], request_id=1)
    )
    # the permission check comes first, as in channels-api: a denied unknown action is a 401
    assert await ask(communicator, "private-questions", {"action": "nope", "request_id": 2}) == framed(
        "private-questions", reply("nope", status=401, errors=["Permission Denied"], request_id=2)
    )
    await communicator.disconnect()


@pytest.mark.parametrize("configured", ["setting", "attribute"])
async def test_standard_error_replies_are_403_and_405(configured: str) -> None:
    from djangochannelsrestframework.contrib.channels_api import WebsocketDemultiplexer
    from docs.examples.channels_api import MyBinding

    class StandardErrors(MyBinding):
        error_replies = "standard"

    app = WebsocketDemultiplexer.for_bindings(StandardErrors if configured == "attribute" else MyBinding)
    with override_settings(CHANNELS_API={"ERROR_REPLIES": "standard"} if configured == "setting" else {}):
        communicator = await opened(app)
        assert await ask(communicator, "private-questions", {"action": "list"}) == framed(
            "private-questions",
            reply("list", status=403, errors=["You do not have permission to perform this action."]),
        )
        await communicator.disconnect()
        communicator = await opened(app, user=await User.objects.acreate(username=f"standard-{configured}"))
        assert await ask(communicator, "private-questions", {"action": "nope"}) == framed(
            "private-questions", reply("nope", status=405, errors=['Method "nope" not allowed.'])
        )
        await communicator.disconnect()


class OwnCheckBinding(ResourceBinding):
    """Overrides channels-api's ``has_permission``; the check reads the database (it runs in a thread)."""

    model = Question
    stream = "own-check"
    serializer_class = QuestionSerializer
    seen: ClassVar[list[tuple[Any, str, Any]]] = []

    def has_permission(self, user: Any, action: str, pk: Any) -> bool:
        self.seen.append((user, action, pk))
        return action == "list" or Question.objects.filter(pk=pk, published=True).exists()


class AsyncCheckBinding(OwnCheckBinding):
    stream = "async-check"

    async def has_permission(self, user: Any, action: str, pk: Any) -> bool:  # type: ignore[override]
        self.seen.append((user, action, pk))
        return action == "list"


async def test_a_bindings_own_has_permission_decides() -> None:
    from djangochannelsrestframework.contrib.channels_api import WebsocketDemultiplexer

    OwnCheckBinding.seen.clear()
    app = WebsocketDemultiplexer.for_bindings(OwnCheckBinding, AsyncCheckBinding)
    hidden = await Question.objects.acreate(question_text="hidden")
    shown = await Question.objects.acreate(question_text="shown", published=True)
    communicator = await opened(app)
    assert await ask(communicator, "own-check", {"action": "retrieve", "pk": hidden.pk}) == framed(
        "own-check", reply("retrieve", status=401, errors=["Permission Denied"])
    )
    assert await ask(communicator, "own-check", {"action": "retrieve", "pk": shown.pk}) == framed(
        "own-check", reply("retrieve", question(shown.pk, "shown", published=True))
    )
    assert await ask(communicator, "async-check", {"action": "retrieve", "pk": shown.pk}) == framed(
        "async-check", reply("retrieve", status=401, errors=["Permission Denied"])
    )
    assert await ask(communicator, "async-check", {"action": "list"}) == framed(
        "async-check", reply("list", [question(hidden.pk, "hidden"), question(shown.pk, "shown", published=True)])
    )
    users = {type(user).__name__ for user, _, _ in OwnCheckBinding.seen}
    assert users == {"AnonymousUser"}
    assert [(action, pk) for _, action, pk in OwnCheckBinding.seen] == [
        ("retrieve", hidden.pk),
        ("retrieve", shown.pk),
        ("retrieve", shown.pk),
        ("list", None),
    ]
    await communicator.disconnect()


class PublishedOnly:
    """channels-api's hook signatures, from a mixin: no ``**kwargs``."""

    def get_queryset(self) -> Any:
        return Question.objects.filter(published=True)

    def filter_queryset(self, queryset: Any) -> Any:
        return queryset.order_by("-pk")


class PublishedBinding(PublishedOnly, ResourceBinding):
    model = Question
    stream = "published"
    serializer_class = QuestionSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {}


async def test_hooks_with_channels_api_signatures_are_called() -> None:
    from djangochannelsrestframework.contrib.channels_api import WebsocketDemultiplexer

    older = await Question.objects.acreate(question_text="older", published=True)
    newer = await Question.objects.acreate(question_text="newer", published=True)
    hidden = await Question.objects.acreate(question_text="hidden")
    communicator = await opened(WebsocketDemultiplexer.for_bindings(PublishedBinding))
    assert await ask(communicator, "published", {"action": "list", "pk": None, "data": None}) == framed(
        "published",
        reply("list", [question(newer.pk, "newer", published=True), question(older.pk, "older", published=True)]),
    )
    assert await ask(communicator, "published", {"action": "retrieve", "pk": hidden.pk}) == framed(
        "published", reply("retrieve", status=404, errors=["Not found."])
    )
    assert await ask(communicator, "published", {"action": "subscribe", "data": {"action": "update"}}) == framed(
        "published", reply("subscribe", {"action": "update"})
    )
    hidden.question_text = "still hidden"
    await hidden.asave()
    older.question_text = "edited"
    await older.asave()
    # the hidden object's change sends nothing; the visible one's arrives
    assert await communicator.receive_json_from(timeout=WAIT) == framed(
        "published", event("update", older.pk, question(older.pk, "edited", published=True))
    )
    assert await communicator.receive_nothing()
    await communicator.disconnect()


def test_the_documented_permission_compares_the_action_name_as_written() -> None:
    # channels-api passed the action as sent ("create"), so this example's "CREATE" never matched there either.
    assert MyPermission().has_permission(None, "create", None) is False
    assert MyPermission().has_permission(None, "CREATE", None) is True


@override_settings(CHANNELS_API={"DEFAULT_PERMISSION_CLASSES": ("channels_api.permissions.IsAuthenticated",)})
async def test_default_permission_classes_from_the_channels_api_setting() -> None:
    communicator = await opened(also)
    assert await ask(communicator, "questions", {"action": "list", "request_id": 1}) == framed(
        "questions", reply("list", status=401, errors=["Permission Denied"], request_id=1)
    )
    await communicator.disconnect()


@pytest.mark.parametrize(
    "permission",
    [
        "rest_framework.permissions.IsAuthenticated",
        "djangochannelsrestframework.permissions.IsAuthenticated",
        "djangochannelsrestframework.contrib.channels_api.permissions.IsAuthenticated",
    ],
)
async def test_drf_ours_and_channels_api_permissions_all_work_on_a_binding(permission: str) -> None:
    from djangochannelsrestframework.contrib.channels_api import WebsocketDemultiplexer
    from djangochannelsrestframework.contrib.channels_api.settings import import_class

    class GuardedBinding(ResourceBinding):
        model = Question
        stream = "guarded"
        serializer_class = QuestionSerializer
        permission_classes = (import_class(permission),)

    app = WebsocketDemultiplexer.for_bindings(GuardedBinding)
    if permission.startswith("rest_framework."):
        # DRF permissions also guard the handshake (see docs/permissions.rst)
        communicator = WebsocketCommunicator(app, "/")
        communicator.scope["user"] = AnonymousUser()
        assert (await communicator.connect())[0] is False
    else:
        communicator = await opened(app)
        assert await ask(communicator, "guarded", {"action": "list"}) == framed(
            "guarded", reply("list", status=401, errors=["Permission Denied"])
        )
        await communicator.disconnect()
    communicator = await opened(app, user=await User.objects.acreate(username=f"u-{len(permission)}"))
    assert await ask(communicator, "guarded", {"action": "list"}) == framed("guarded", reply("list", []))
    await communicator.disconnect()


def test_api_settings_reads_the_channels_api_setting_when_used() -> None:
    from djangochannelsrestframework.contrib.channels_api.permissions import AllowAny, IsAuthenticated
    from djangochannelsrestframework.contrib.channels_api.settings import api_settings

    assert api_settings.DEFAULT_PAGE_SIZE == 25
    assert api_settings.DEFAULT_PERMISSION_CLASSES == [AllowAny]
    assert (api_settings.ERROR_REPLIES, api_settings.SUBSCRIPTION_EVENTS) == ("channels_api", "channels_api")
    with override_settings(
        CHANNELS_API={
            "DEFAULT_PAGE_SIZE": 3,
            "DEFAULT_PERMISSION_CLASSES": ["channels_api.permissions.IsAuthenticated"],
        }
    ):
        assert api_settings.DEFAULT_PAGE_SIZE == 3
        # channels-api's own dotted paths resolve to this package's classes
        assert api_settings.DEFAULT_PERMISSION_CLASSES == [IsAuthenticated]
    api_settings.reload()
    assert api_settings.DEFAULT_PAGE_SIZE == 25
    with pytest.raises(AttributeError, match="Invalid CHANNELS_API setting: 'PAGE_SIZE'"):
        api_settings.PAGE_SIZE  # noqa: B018


@pytest.mark.parametrize("name", ["ERROR_REPLIES", "SUBSCRIPTION_EVENTS"])
def test_a_style_setting_takes_one_of_two_values(name: str) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from djangochannelsrestframework.contrib.channels_api.settings import api_settings

    with override_settings(CHANNELS_API={name: "strict"}), pytest.raises(ImproperlyConfigured) as raised:
        getattr(api_settings, name)
    assert str(raised.value) == f'CHANNELS_API["{name}"] must be "channels_api" or "standard", not \'strict\'.'


async def test_a_binding_composed_from_channels_api_mixins() -> None:
    from djangochannelsrestframework.contrib.channels_api import WebsocketDemultiplexer
    from djangochannelsrestframework.contrib.channels_api.bindings import ResourceBindingBase
    from djangochannelsrestframework.contrib.channels_api.mixins import (
        RetrieveModelMixin,
        SerializerMixin,
        SubscribeModelMixin,
    )

    class ReadAndWatch(RetrieveModelMixin, SubscribeModelMixin, SerializerMixin, ResourceBindingBase):
        model = Question
        stream = "watch"
        serializer_class = QuestionSerializer

    item = await Question.objects.acreate(question_text="q")
    communicator = await opened(WebsocketDemultiplexer.for_bindings(ReadAndWatch))
    assert await ask(communicator, "watch", {"action": "retrieve", "pk": item.pk}) == framed(
        "watch", reply("retrieve", question(item.pk, "q"))
    )
    assert await ask(communicator, "watch", {"action": "create", "data": {"question_text": "x"}}) == framed(
        "watch", reply("create", status=400, errors=["Invalid Action"])
    )
    assert await ask(communicator, "watch", {"action": "subscribe", "pk": item.pk, "data": {"action": "delete"}}) == (
        framed("watch", reply("subscribe", {"action": "delete"}))
    )
    pk = item.pk
    await item.adelete()
    assert await communicator.receive_json_from(timeout=WAIT) == framed("watch", event("delete", pk, {"pk": pk}))
    await communicator.disconnect()
    binding = ReadAndWatch()
    binding.scope = {"type": "websocket"}
    assert binding.serialize_data(Question(pk=7, question_text="s")) == question(7, "s")


def test_a_style_attribute_takes_one_of_two_values() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured) as raised:

        class Misspelt(ResourceBinding):
            model = Question
            serializer_class = QuestionSerializer
            subscription_events = "standart"

    assert str(raised.value) == (
        "test_a_style_attribute_takes_one_of_two_values.<locals>.Misspelt.subscription_events must be "
        '"channels_api", "standard" or None, not \'standart\'.'
    )


class PatchedCheckBinding(ResourceBinding):
    model = Question
    stream = "patched-check"
    serializer_class = QuestionSerializer


async def test_has_permission_patched_onto_a_binding_after_it_served_is_used() -> None:
    # channels-api's own suite patches has_permission onto a binding class between tests.
    from unittest import mock

    from djangochannelsrestframework.contrib.channels_api import WebsocketDemultiplexer

    app = WebsocketDemultiplexer.for_bindings(PatchedCheckBinding)
    communicator = await opened(app)
    assert await ask(communicator, "patched-check", {"action": "list"}) == framed("patched-check", reply("list", []))
    with mock.patch.object(PatchedCheckBinding, "has_permission", mock.Mock(return_value=False)):
        assert await ask(communicator, "patched-check", {"action": "list"}) == framed(
            "patched-check", reply("list", status=401, errors=["Permission Denied"])
        )
    assert await ask(communicator, "patched-check", {"action": "list"}) == framed("patched-check", reply("list", []))
    await communicator.disconnect()
