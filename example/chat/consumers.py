"""The demo's consumers: what a page can call over its websocket."""

from typing import Any

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.permissions import AllowAny, IsAuthenticated


class EchoConsumer(AsyncAPIConsumer):
    """``echo`` is open to everyone; ``whoami`` needs a logged-in user (403 otherwise)."""

    async def get_permissions(self, action: str, **kwargs: Any) -> list[Any]:
        if action == "whoami":
            return [IsAuthenticated()]
        return [AllowAny()]

    @action()
    async def echo(self, message: Any, **kwargs: Any) -> tuple[dict[str, Any], int]:
        return {"message": message}, 200

    @action()
    async def whoami(self, **kwargs: Any) -> tuple[dict[str, Any], int]:
        user = self.scope["user"]
        return {"id": user.pk, "username": user.username}, 200
