"""The browsable websocket API: route discovery and the page's access rules."""

import json

import pytest
from django.contrib.auth.models import User

from djangochannelsrestframework.browsable.discovery import describe_consumer, discover_routes
from djangochannelsrestframework.browsable.docstrings import render_docstring
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import ListModelMixin
from djangochannelsrestframework.observer import ObserverModelInstanceMixin, model_observer
from tests.support import browsable_app
from tests.support.app.models import Item


def test_discovers_routes_through_middleware_and_nested_routers():
    routes = discover_routes(browsable_app.application)
    assert [(route.path, route.consumer) for route in routes] == [
        ("/ws/items/", "tests.support.browsable_app.ItemConsumer"),
        ("/ws/tools/", "tests.support.browsable_app.ToolsConsumer"),
        ("/ws/view/", "djangochannelsrestframework.view_consumer.DjangoViewWrapper"),
    ]


def test_describes_actions_with_parameters_and_docstrings():
    tools = discover_routes(browsable_app.application)[1].as_dict()
    assert tools["doc"] == "Small utilities."
    add = next(action for action in tools["actions"] if action["name"] == "add")
    assert add == {
        "name": "add",
        "method": "add",
        "doc": "Add two numbers.",
        "parameters": [
            {"name": "a", "required": True, "default": None, "annotation": "int"},
            {"name": "b", "required": False, "default": 2, "annotation": "int"},
        ],
        "accepts_extra": True,
        "detached": False,
        "detail": None,
        "doc_html": "<p>Add two numbers.</p>",
    }
    slow = next(action for action in tools["actions"] if action["name"] == "slow")
    assert slow["detached"] is True


def test_generic_actions_show_lookup_key_and_data():
    items = discover_routes(browsable_app.application)[0].as_dict()
    by_name = {action["name"]: action for action in items["actions"]}
    assert sorted(by_name) == ["create", "list", "retrieve"]
    assert [param["name"] for param in by_name["retrieve"]["parameters"]] == ["pk"]
    assert [param["name"] for param in by_name["create"]["parameters"]] == ["data"]


def test_view_as_consumer_lists_mapped_actions():
    view = discover_routes(browsable_app.application)[2].as_dict()
    assert [(action["name"], action["doc"]) for action in view["actions"]][:2] == [
        ("create", "Runs the view with HTTP PUT."),
        ("update", "Runs the view with HTTP PATCH."),
    ]


@pytest.mark.django_db
def test_page_lists_routes_when_debug(client, settings):
    settings.DEBUG = True
    settings.ASGI_APPLICATION = "tests.support.browsable_app.application"
    response = client.get("/ws-api/")
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<script id="dcrf-routes" type="application/json">') + len(
        '<script id="dcrf-routes" type="application/json">'
    )
    routes = json.loads(html[start : html.index("</script>", start)])
    assert [route["path"] for route in routes] == ["/ws/items/", "/ws/tools/", "/ws/view/"]


@pytest.mark.django_db
def test_page_is_hidden_without_debug_from_non_staff(client, settings):
    settings.DEBUG = False
    settings.ASGI_APPLICATION = "tests.support.browsable_app.application"
    assert client.get("/ws-api/").status_code == 404
    user = User.objects.create_user("plain", password="pw")
    client.force_login(user)
    assert client.get("/ws-api/").status_code == 404


@pytest.mark.django_db
def test_page_is_served_to_staff_without_debug(client, settings):
    settings.DEBUG = False
    settings.ASGI_APPLICATION = "tests.support.browsable_app.application"
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get("/ws-api/").status_code == 200


class UndocumentedConsumer(ListModelMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.all()


class WatchedItemsConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    """Items, live.

    Subscribe with ``{"action": "subscribe_instance", "pk": 1, "request_id": 7}``; see
    :class:`~djangochannelsrestframework.generics.GenericAsyncAPIConsumer`. <b>not bold</b>
    """

    queryset = Item.objects.all()

    @model_observer(Item)
    async def item_changes(self, message, **kwargs):
        """Every change of *any* item."""


def test_a_consumer_without_docstring_shows_none_not_its_bases():
    info = describe_consumer("/ws/", UndocumentedConsumer).as_dict()
    assert (info["doc"], info["doc_html"]) == ("", "")


def test_docstrings_are_rendered_and_escaped():
    info = describe_consumer("/ws/", WatchedItemsConsumer).as_dict()
    assert info["doc_html"] == (
        "<p>Items, live.</p>"
        "<p>Subscribe with <code>{&quot;action&quot;: &quot;subscribe_instance&quot;, &quot;pk&quot;: 1, "
        "&quot;request_id&quot;: 7}</code>; see <code>GenericAsyncAPIConsumer</code>. &lt;b&gt;not bold&lt;/b&gt;</p>"
    )


def test_internal_observers_are_marked_apart_from_the_consumers_own():
    info = describe_consumer("/ws/", WatchedItemsConsumer).as_dict()
    assert [(o["name"], o["kind"], o["internal"], o["doc_html"]) for o in info["observers"]] == [
        ("handle_instance_change", "model", True, ""),
        ("item_changes", "model", False, "<p>Every change of <em>any</em> item.</p>"),
    ]


def test_render_docstring_lists_and_literal_blocks():
    doc = """Does things::

        {"action": "x"}

        more

    - one ``two``
    - three
      continued

    Trailing ::

        x
    """
    assert render_docstring(doc) == (
        "<p>Does things:</p><pre>{&quot;action&quot;: &quot;x&quot;}\n\nmore</pre>"
        "<ul><li>one <code>two</code></li><li>three continued</li></ul>"
        "<p>Trailing</p><pre>x</pre>"
    )


def test_each_stream_of_a_demultiplexer_is_a_route_of_its_own():
    from docs.examples.multiplexing import application

    routes = [route.as_dict() for route in discover_routes(application)]
    assert [(route["path"], route["stream"], route["consumer"]) for route in routes] == [
        ("/ws/", "items", "docs.examples.multiplexing.ItemConsumer"),
        ("/ws/", "account", "docs.examples.multiplexing.AccountConsumer"),
    ]
    assert [action["name"] for action in routes[1]["actions"]] == ["whoami"]


def test_bindings_behind_channels_apis_demultiplexer_are_routes():
    from docs.examples.channels_api_routing import application

    routes = discover_routes(application)
    assert [(route.path, route.stream, route.consumer) for route in routes] == [
        ("/", "questions", "docs.examples.channels_api.QuestionBinding"),
        ("/", "private-questions", "docs.examples.channels_api.MyBinding"),
    ]
    assert {"publish", "report", "subscribe"} <= {action.name for action in routes[0].actions}
