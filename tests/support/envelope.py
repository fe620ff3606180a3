"""What tests expect on the wire: the reply envelope, a connected communicator, a refused one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from channels.testing import WebsocketCommunicator


def reply(
    action: Any, data: Any = None, *, errors: Iterable[Any] | None = (), status: int = 200, request_id: Any = None
) -> dict[str, Any]:
    """The standard reply envelope, with its keys in the order they are sent."""
    return {
        "errors": list(errors or ()),
        "data": data,
        "action": action,
        "response_status": status,
        "request_id": request_id,
    }


async def connect(consumer_class: Any, **scope: Any) -> WebsocketCommunicator:
    """A communicator connected to ``consumer_class``, with ``scope`` entries added (e.g. ``user``)."""
    communicator = WebsocketCommunicator(consumer_class.as_asgi(), "/ws/")
    communicator.scope.update(scope)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def refused_for_too_many(consumer_class: Any, limit: int, **scope: Any) -> None:
    """Connect to ``consumer_class`` and expect ``MAX_CONNECTIONS_PER_USER``'s refusal: the 429
    reply, then close code 4429."""
    communicator = WebsocketCommunicator(consumer_class.as_asgi(), "/ws/")
    communicator.scope.update(scope)
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_json_from() == reply(
        "connect", errors=[f"Too many connections for this user; the limit is {limit}."], status=429
    )
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4429}
