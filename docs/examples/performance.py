"""Tuning connection housekeeping for a consumer whose async actions use Django's async ORM."""

from typing import Any

from django.contrib.auth.models import User

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action


class UserCountConsumer(AsyncAPIConsumer):
    # Close stale database connections at most every 5 seconds (default 1; 0 = before every message).
    connection_housekeeping_interval = 5.0

    @action()
    async def count_users(self, **kwargs: Any) -> tuple[dict[str, int], int]:
        return {"users": await User.objects.acount()}, 200
