"""Documentation examples, run as written, with the replies the pages show.

* the seed documentation's generic consumer example (``UserConsumer`` with six mixins and a
  ``UserSerializer`` with a write-only password), where some documented replies cannot happen;
* the examples of our pages (``docs/examples/generics_*.py``).

Sequences are reset so the ids are the ones the documents show.
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.routing import URLRouter
from django.contrib.auth.models import User
from django.urls import re_path

from djangochannelsrestframework.consumers import view_as_consumer
from docs.examples import generics_consumers, generics_filtering, generics_mixins, generics_pagination, generics_views
from tests.support.envelope import reply
from tests.support.generic_consumers import UserConsumer, UserViewSet, ask, open_socket

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)

REQUEST_ID = 1550050
INVALID_USERNAME = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def create_users(*names: str) -> list[User]:
    return [User.objects.create_user(username=name, email=f"{name}@example.com", password="pw") for name in names]


# -- the seed documentation's generic consumer example -------------------------------------------


@pytest.fixture
def seed_users() -> list[User]:
    return [
        User.objects.create_user(username=f"test {n}", email=f"{n}@example.com", password="secret") for n in (1, 2, 3)
    ]


async def test_seed_list(seed_users: list[User]) -> None:
    async with open_socket(UserConsumer) as ws:
        assert await ask(ws, {"action": "list", "request_id": REQUEST_ID}) == reply(
            "list",
            [
                {"email": "1@example.com", "id": 1, "username": "test 1"},
                {"email": "2@example.com", "id": 2, "username": "test 2"},
                {"email": "3@example.com", "id": 3, "username": "test 3"},
            ],
            request_id=REQUEST_ID,
        )


async def test_seed_retrieve(seed_users: list[User]) -> None:
    async with open_socket(UserConsumer) as ws:
        assert await ask(ws, {"action": "retrieve", "request_id": REQUEST_ID, "pk": 2}) == reply(
            "retrieve", {"email": "2@example.com", "id": 2, "username": "test 2"}, request_id=REQUEST_ID
        )


async def test_seed_patch(seed_users: list[User]) -> None:
    async with open_socket(UserConsumer) as ws:
        message = {"action": "patch", "request_id": REQUEST_ID, "pk": 2, "data": {"email": "edited@example.com"}}
        assert await ask(ws, message) == reply(
            "patch", {"email": "edited@example.com", "id": 2, "username": "test 2"}, request_id=REQUEST_ID
        )


async def test_seed_update_as_written_needs_the_password(seed_users: list[User]) -> None:
    """The documented ``update`` sends no password, which the serializer requires, and a username
    with a space, which Django's username validator refuses: 400, not 200."""
    async with open_socket(UserConsumer) as ws:
        message = {"action": "update", "request_id": REQUEST_ID, "pk": 2, "data": {"username": "user 2"}}
        assert await ask(ws, message) == reply(
            "update",
            status=400,
            errors=[{"username": [INVALID_USERNAME], "password": ["This field is required."]}],
            request_id=REQUEST_ID,
        )


async def test_seed_update_with_a_password_gives_the_documented_reply(seed_users: list[User]) -> None:
    await User.objects.filter(pk=2).aupdate(email="edited@example.com")
    async with open_socket(UserConsumer) as ws:
        message = {
            "action": "update",
            "request_id": REQUEST_ID,
            "pk": 2,
            "data": {"username": "user_2", "password": "testpassword123"},
        }
        assert await ask(ws, message) == reply(
            "update", {"email": "edited@example.com", "id": 2, "username": "user_2"}, request_id=REQUEST_ID
        )
    # The example's serializer only customises create(): update stores the password unhashed.
    assert (await User.objects.aget(pk=2)).password == "testpassword123"


async def test_seed_create_as_written_needs_password_not_password1(seed_users: list[User]) -> None:
    """The documented ``create`` sends password1/password2 (the serializer's field is ``password``)
    and a username with a space, which Django's username validator refuses."""
    data = {
        "username": "new user 4",
        "password1": "testpassword123",
        "password2": "testpassword123",
        "email": "4@example.com",
    }
    async with open_socket(UserConsumer) as ws:
        assert await ask(ws, {"action": "create", "request_id": REQUEST_ID, "data": data}) == reply(
            "create",
            status=400,
            errors=[{"username": [INVALID_USERNAME], "password": ["This field is required."]}],
            request_id=REQUEST_ID,
        )


async def test_seed_create_with_password_gives_the_documented_reply(seed_users: list[User]) -> None:
    data = {"username": "new_user_4", "password": "testpassword123", "email": "4@example.com"}
    async with open_socket(UserConsumer) as ws:
        assert await ask(ws, {"action": "create", "request_id": REQUEST_ID, "data": data}) == reply(
            "create", {"email": "4@example.com", "id": 4, "username": "new_user_4"}, status=201, request_id=REQUEST_ID
        )
    assert (await User.objects.aget(pk=4)).check_password("testpassword123")


async def test_seed_create_without_email_is_a_server_error(seed_users: list[User]) -> None:
    """The example's create() reads validated_data['email'], which is optional: KeyError -> 500 reply."""
    async with open_socket(UserConsumer) as ws:
        assert await ask(ws, {"action": "create", "data": {"username": "test", "password": "pw"}}) == reply(
            "create", status=500, errors=["A server error occurred."]
        )
        assert await ask(ws, {"action": "retrieve", "pk": 1}) == reply(
            "retrieve", {"email": "1@example.com", "id": 1, "username": "test 1"}
        )


async def test_seed_delete(seed_users: list[User]) -> None:
    await User.objects.acreate(username="new user 4", email="4@example.com")
    async with open_socket(UserConsumer) as ws:
        assert await ask(ws, {"action": "delete", "request_id": REQUEST_ID, "pk": 4}) == reply(
            "delete", None, status=204, request_id=REQUEST_ID
        )
    assert not await User.objects.filter(pk=4).aexists()


# -- docs/mixins.rst -----------------------------------------------------------------------------


@pytest.fixture
def users() -> list[User]:
    return create_users("ada", "bob", "cy")


async def test_mixins_page(users: list[User]) -> None:
    async with open_socket(generics_mixins.UserConsumer) as ws:
        assert await ask(ws, {"action": "list", "request_id": 1}) == reply(
            "list",
            [
                {"id": 1, "username": "ada", "email": "ada@example.com"},
                {"id": 2, "username": "bob", "email": "bob@example.com"},
                {"id": 3, "username": "cy", "email": "cy@example.com"},
            ],
            request_id=1,
        )
        assert await ask(ws, {"action": "retrieve", "pk": 2, "request_id": 2}) == reply(
            "retrieve", {"id": 2, "username": "bob", "email": "bob@example.com"}, request_id=2
        )
        create = {"action": "create", "request_id": 3, "data": {"username": "dee", "password": "s3cret!"}}
        assert await ask(ws, create) == reply(
            "create", {"id": 4, "username": "dee", "email": ""}, status=201, request_id=3
        )
        update = {
            "action": "update",
            "pk": 4,
            "request_id": 4,
            "data": {"username": "dee", "email": "dee@example.com", "password": "n3w!"},
        }
        assert await ask(ws, update) == reply(
            "update", {"id": 4, "username": "dee", "email": "dee@example.com"}, request_id=4
        )
        patch = {"action": "patch", "pk": 4, "request_id": 5, "data": {"email": "d@example.com"}}
        assert await ask(ws, patch) == reply(
            "patch", {"id": 4, "username": "dee", "email": "d@example.com"}, request_id=5
        )
        assert await ask(ws, {"action": "delete", "pk": 4, "request_id": 6}) == reply(
            "delete", None, status=204, request_id=6
        )
        assert await ask(ws, {"action": "retrieve", "pk": 4, "request_id": 7}) == reply(
            "retrieve", status=404, errors=["Not found"], request_id=7
        )
        assert await ask(ws, {"action": "create", "request_id": 8, "data": {"username": "ada"}}) == reply(
            "create",
            status=400,
            errors=[
                {
                    "username": ["A user with that username already exists."],
                    "password": ["This field is required."],
                }
            ],
            request_id=8,
        )
        assert await ask(ws, {"action": "update", "request_id": 9, "data": {"username": "x"}}) == reply(
            "update", status=400, errors=[{"pk": ["This argument is required."]}], request_id=9
        )
    dee = await User.objects.aget(pk=4)
    assert dee.check_password("n3w!")
    assert not dee.is_active


# -- docs/generics.rst ---------------------------------------------------------------------------


def as_user(app: Any, user: Any) -> Any:
    """The ASGI app with ``scope["user"]`` set, as AuthMiddlewareStack would."""

    async def with_user(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        return await app({**scope, "user": user}, receive, send)

    return with_user


async def test_generics_page(users: list[User]) -> None:
    bob = users[1]
    app = as_user(generics_consumers.ProfileConsumer.as_asgi(), bob)
    async with open_socket(app) as ws:
        assert await ask(ws, {"action": "retrieve", "username": "bob"}) == reply(
            "retrieve", {"username": "bob", "first_name": "", "is_staff": False}
        )
        assert await ask(ws, {"action": "rename", "username": "bob", "first_name": "Bob"}) == reply(
            "rename", {"username": "bob", "first_name": "Bob", "is_staff": False}
        )
        assert await ask(ws, {"action": "retrieve", "username": "ada"}) == reply(
            "retrieve", status=403, errors=["You do not have permission to perform this action."]
        )
        assert await ask(ws, {"action": "retrieve", "username": "zed"}) == reply(
            "retrieve", status=404, errors=["Not found"]
        )
        assert await ask(ws, {"action": "retrieve", "pk": 1}) == reply(
            "retrieve", status=400, errors=[{"username": ["This argument is required."]}]
        )
        assert await ask(ws, {"action": "staff"}) == reply("staff", [])


async def test_generics_page_staff_may_act_on_others(users: list[User]) -> None:
    staff = await User.objects.acreate(username="root", is_staff=True)
    app = as_user(generics_consumers.ProfileConsumer.as_asgi(), staff)
    async with open_socket(app) as ws:
        assert await ask(ws, {"action": "rename", "username": "ada", "first_name": "Ada"}) == reply(
            "rename", {"username": "ada", "first_name": "Ada", "is_staff": False}
        )
        assert await ask(ws, {"action": "staff"}) == reply("staff", ["root"])


# -- docs/pagination.rst -------------------------------------------------------------------------


@pytest.fixture
def five_users() -> list[User]:
    return create_users("ada", "bob", "cy", "dee", "eve")


def user(pk: int) -> dict[str, Any]:
    return {"id": pk, "username": ["ada", "bob", "cy", "dee", "eve"][pk - 1]}


async def test_pagination_page_limit_offset(five_users: list[User]) -> None:
    async with open_socket(generics_pagination.UserListConsumer) as ws:
        assert await ask(ws, {"action": "list", "limit": 2, "offset": 2, "request_id": 1}) == reply(
            "list", {"count": 5, "results": [user(3), user(4)], "limit": 2, "offset": 2}, request_id=1
        )


async def test_pagination_page_page_number(five_users: list[User]) -> None:
    async with open_socket(generics_pagination.UserPageConsumer) as ws:
        assert await ask(ws, {"action": "list", "page": 3, "request_id": 1}) == reply(
            "list", {"count": 5, "results": [user(5)], "page": 3, "page_size": 2, "num_pages": 3}, request_id=1
        )
        assert await ask(ws, {"action": "list", "page": 4, "request_id": 2}) == reply(
            "list", status=404, errors=["Invalid page."], request_id=2
        )


async def test_pagination_page_cursor(five_users: list[User]) -> None:
    async with open_socket(generics_pagination.UserCursorConsumer) as ws:
        assert await ask(ws, {"action": "list", "request_id": 1}) == reply(
            "list", {"results": [user(1), user(2)], "next": "cD0y", "previous": None}, request_id=1
        )
        assert await ask(ws, {"action": "list", "cursor": "cD0y", "request_id": 2}) == reply(
            "list", {"results": [user(3), user(4)], "next": "cD00", "previous": "cj0xJnA9Mw=="}, request_id=2
        )
        assert await ask(ws, {"action": "list", "cursor": "cD00", "request_id": 3}) == reply(
            "list", {"results": [user(5)], "next": None, "previous": "cj0xJnA9NQ=="}, request_id=3
        )


async def test_pagination_page_streaming(five_users: list[User]) -> None:
    async with open_socket(generics_pagination.UserStreamConsumer) as ws:
        await ws.send_json_to({"action": "list", "limit": 2, "request_id": "all-users"})
        pages = [await ws.receive_json_from(timeout=5) for _ in range(3)]
        assert await ws.receive_nothing(timeout=0.3)
    assert pages == [
        reply("list", {"count": 5, "results": [user(1), user(2)], "limit": 2, "offset": 0}, request_id="all-users"),
        reply("list", {"count": 5, "results": [user(3), user(4)], "limit": 2, "offset": 2}, request_id="all-users"),
        reply("list", {"count": 5, "results": [user(5)], "limit": 2, "offset": 4}, request_id="all-users"),
    ]


async def test_pagination_page_list_cancel(five_users: list[User]) -> None:
    async with open_socket(generics_pagination.UserStreamConsumer) as ws:
        await ws.send_json_to({"action": "list", "limit": 1, "request_id": "slow"})
        assert await ws.receive_json_from(timeout=5) == reply(
            "list", {"count": 5, "results": [user(1)], "limit": 1, "offset": 0}, request_id="slow"
        )
        assert await ask(ws, {"action": "list_cancel", "request_id": "slow"}) == reply(
            "list_cancel", None, request_id="slow"
        )
        assert await ws.receive_nothing(timeout=0.3)


# -- docs/filtering.rst --------------------------------------------------------------------------


@pytest.fixture
def team() -> list[User]:
    users = create_users("ada", "bob", "adele")
    User.objects.filter(username="bob").update(is_staff=True)
    return users


async def test_filtering_page_search_ordering_and_fields(team: list[User]) -> None:
    async with open_socket(generics_filtering.UserSearchConsumer) as ws:
        assert await ask(ws, {"action": "list", "search": "ad"}) == reply(
            "list", [{"id": 1, "username": "ada", "is_staff": False}, {"id": 3, "username": "adele", "is_staff": False}]
        )
        assert await ask(ws, {"action": "list", "search": "ad", "ordering": "-username"}) == reply(
            "list", [{"id": 3, "username": "adele", "is_staff": False}, {"id": 1, "username": "ada", "is_staff": False}]
        )
        assert await ask(ws, {"action": "list", "is_staff": True}) == reply(
            "list", [{"id": 2, "username": "bob", "is_staff": True}]
        )


async def test_filtering_page_filterset_with_pagination(team: list[User]) -> None:
    async with open_socket(generics_filtering.UserPageConsumer) as ws:
        assert await ask(ws, {"action": "list", "starts": "AD", "limit": 1}) == reply(
            "list", {"count": 2, "results": [{"id": 1, "username": "ada", "is_staff": False}], "limit": 1, "offset": 0}
        )
        assert await ask(ws, {"action": "list", "joined_after": "yesterday"}) == reply(
            "list", status=400, errors=[{"joined_after": ["Enter a valid date/time."]}]
        )


# -- docs/view_as_consumer.rst -------------------------------------------------------------------

router = URLRouter(generics_views.websocket_urlpatterns)


async def test_view_as_consumer_page_viewset(users: list[User]) -> None:
    async with open_socket(router, "/ws/users/") as ws:
        assert await ask(ws, {"action": "retrieve", "parameters": {"pk": 2}, "request_id": 1}) == reply(
            "retrieve", {"id": 2, "username": "bob", "email": "bob@example.com"}, request_id=1
        )
        assert await ask(ws, {"action": "create", "data": {"username": "dee"}, "request_id": 2}) == reply(
            "create", {"id": 4, "username": "dee", "email": ""}, status=201, request_id=2
        )
        patch = {"action": "patch", "parameters": {"pk": 4}, "data": {"email": "dee@example.com"}, "request_id": 3}
        assert await ask(ws, patch) == reply(
            "patch", {"id": 4, "username": "dee", "email": "dee@example.com"}, request_id=3
        )
        assert await ask(ws, {"action": "delete", "parameters": {"pk": 4}, "request_id": 4}) == reply(
            "delete", None, status=204, request_id=4
        )
        assert await ask(ws, {"action": "retrieve", "parameters": {"pk": 4}, "request_id": 5}) == reply(
            "retrieve", {"detail": "No User matches the given query."}, status=404, request_id=5
        )


async def test_view_as_consumer_page_function_views() -> None:
    async with open_socket(router, "/ws/settings/") as ws:
        read = {"action": "read", "parameters": {"section": "mail"}, "query": {"field": ["host", "port"]}}
        assert await ask(ws, read) == reply("read", {"section": "mail", "fields": ["host", "port"]})
        save = {"action": "save", "parameters": {"section": "mail"}, "data": {"port": 25}}
        assert await ask(ws, save) == reply("save", {"section": "mail", "saved": {"port": 25}})
        assert await ask(ws, {"action": "list"}) == reply("list", status=405, errors=['Method "list" not allowed.'])
    async with open_socket(router, "/ws/greeting/") as ws:
        assert await ask(ws, {"action": "greet", "query": {"name": "Ada"}}) == reply("greet", "Hello, Ada!")


# -- the seed documentation's view_as_consumer example -------------------------------------------


def test_seed_view_as_consumer_as_written_is_refused_by_drf() -> None:
    """``view_as_consumer(UserViewSet.as_view())``: DRF refuses ``as_view()`` on a ViewSet without actions."""
    with pytest.raises(TypeError, match="The `actions` argument must be provided"):
        view_as_consumer(UserViewSet.as_view())


async def test_seed_view_as_consumer_with_the_viewset_class(seed_users: list[User]) -> None:
    """Passing the ViewSet class gives the documented list (whose envelope says ``errors``, not ``error``)."""
    app = URLRouter([re_path(r"^user/$", view_as_consumer(UserViewSet))])
    async with open_socket(app, "/user/") as ws:
        assert await ask(ws, {"action": "list", "request_id": 15050500}) == reply(
            "list",
            [
                {"username": "test 1", "id": 1, "email": "1@example.com"},
                {"username": "test 2", "id": 2, "email": "2@example.com"},
                {"username": "test 3", "id": 3, "email": "3@example.com"},
            ],
            request_id=15050500,
        )
