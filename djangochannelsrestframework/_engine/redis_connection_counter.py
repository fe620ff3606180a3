"""``MAX_CONNECTIONS_PER_USER`` counted in Redis, so every server process shares one count per user.

Each user has a sorted set ``{prefix}:dcrf-connections:{user}`` whose members are the ids of that
user's open connections, scored with the time (Redis's clock, in ms) they expire.  One Lua script
drops expired members, compares the count with the limit and adds the new member, atomically.
Each process refreshes the expiry of the connections it holds every ``CONNECTION_COUNT_TTL / 3``
seconds (one round trip for all of them), so a crashed process's connections, or a member left by
a connect or disconnect cancelled mid-call, stop counting at most ``CONNECTION_COUNT_TTL`` seconds
later.  A refresh also adds back connections a restarted Redis lost.  When Redis cannot be
reached the connection is allowed (fail open) with a WARNING line.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from ..settings import api_settings
from .cancellation import cancellable

logger = logging.getLogger("djangochannelsrestframework")

#: Seconds a Redis call of the counter may take before Redis counts as unreachable.
REDIS_TIMEOUT = 2.0
#: What a failing or unreachable Redis raises (``TimeoutError`` is an ``OSError``).
UNREACHABLE = (OSError, RedisError, asyncio.TimeoutError)  # the last is no OSError before 3.11
#: Connections refreshed per script call (a pipeline sends all the calls in one round trip).
REFRESH_BATCH = 1000

_NOW_MS = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)"

# KEYS[1]: the user's set; ARGV: connection id, TTL in ms, limit.  Returns -1 once added, else the
# number of open connections (nothing added).
ACQUIRE_SCRIPT = f"""
{_NOW_MS}
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local open = redis.call('ZCARD', KEYS[1])
if open >= tonumber(ARGV[3]) then return open end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return -1
"""

# KEYS: users' sets; ARGV[1]: TTL in ms, ARGV[i + 1]: the connection id held in KEYS[i].  A member
# that is gone is added again: after Redis restarted without its data the count comes back.
REFRESH_SCRIPT = f"""
{_NOW_MS}
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl, ARGV[i + 1])
  redis.call('PEXPIRE', key, ttl)
end
return 0
"""


def redis_layer_config() -> dict[str, Any] | None:
    """The first host and the prefix of the default channel layer when it is one of channels_redis's
    (``RedisChannelLayer``, ``RedisPubSubChannelLayer`` or a subclass); ``None`` otherwise."""
    layer = getattr(settings, "CHANNEL_LAYERS", {}).get("default")
    if not layer:
        return None
    try:
        from channels_redis.core import RedisChannelLayer
        from channels_redis.pubsub import RedisPubSubChannelLayer
        from channels_redis.utils import decode_hosts
    except ImportError:
        return None
    backend = layer["BACKEND"]
    backend_class = import_string(backend) if isinstance(backend, str) else backend
    if not (isinstance(backend_class, type) and issubclass(backend_class, RedisChannelLayer | RedisPubSubChannelLayer)):
        return None
    config = layer.get("CONFIG", {})
    return {"host": decode_hosts(config.get("hosts"))[0], "prefix": config.get("prefix", "asgi")}


def user_label(key: tuple[type[Any], Any]) -> str:
    """The user's part of its Redis key: the user model's label and primary key."""
    user_class, pk = key
    meta = getattr(user_class, "_meta", None)
    return f"{meta.label_lower if meta else user_class.__qualname__}:{pk}"


class RedisConnectionCounter:
    """Counts each user's open connections in Redis, shared by every process using that Redis.

    ``host`` is a channels_redis host entry (a URL, a ``(host, port)`` pair decoded by
    ``decode_hosts``, or a dict of connection arguments); ``prefix`` starts every key."""

    def __init__(self, host: dict[str, Any], prefix: str) -> None:
        self.host = host
        self.prefix = prefix
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._acquire_script: Any = None
        self._refresh_script: Any = None
        self._held: dict[str, str] = {}  # connection id -> its user's key, refreshed by this process
        self._refresher: asyncio.Task[None] | None = None

    def key(self, user: tuple[type[Any], Any]) -> str:
        """The Redis key of ``user``'s set of connections."""
        return f"{self.prefix}:dcrf-connections:{user_label(user)}"

    def _redis(self) -> Any:
        """This event loop's client (a pool belongs to one loop; connections held under another
        loop are no longer refreshed and expire)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            from channels_redis.utils import create_pool

            self._loop = loop
            self._client = aioredis.Redis(connection_pool=create_pool(self.host))
            self._acquire_script = self._client.register_script(ACQUIRE_SCRIPT)
            self._refresh_script = self._client.register_script(REFRESH_SCRIPT)
            self._held = {}
            self._refresher = None
        return self._client

    @property
    def ttl_ms(self) -> int:
        """``CONNECTION_COUNT_TTL`` in milliseconds."""
        ttl: float = api_settings.CONNECTION_COUNT_TTL
        return max(1, round(ttl * 1000))

    async def acquire(self, user: tuple[type[Any], Any], connection: str, limit: int) -> int | None:
        """Count ``connection`` of ``user``: ``None`` once counted, else how many are open."""
        self._redis()
        key = self.key(user)
        try:
            call = self._acquire_script(keys=[key], args=[connection, self.ttl_ms, limit])
            open_now = await cancellable(call, REDIS_TIMEOUT)  # not wait_for: see .cancellation
        except UNREACHABLE as exc:
            logger.warning(
                "Could not count the connections of user %r in Redis (%s); allowing the connection",
                user[1],
                failure(exc),
            )
        else:
            if open_now >= 0:
                return int(open_now)
        # Held even when Redis failed: the script may have run, and if it did not, the next
        # refresh counts the connection (over the limit at worst, as a fail-open does).
        self._held[connection] = key
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.get_running_loop().create_task(self._refresh_forever())
        return None

    async def release(self, user: tuple[type[Any], Any], connection: str) -> None:
        """Stop counting ``connection``.  Forgotten here first, so if this call is cancelled or
        Redis fails, the member is no longer refreshed and expires after the TTL."""
        key = self._held.pop(connection, None)
        if key is None or self._loop is not asyncio.get_running_loop():
            return
        try:
            await cancellable(self._client.zrem(key, connection), REDIS_TIMEOUT)
        except UNREACHABLE as exc:
            logger.warning(
                "Could not release a connection of user %r in Redis (%s); it expires after the TTL",
                user[1],
                failure(exc),
            )

    async def _refresh_forever(self) -> None:
        """Push back the expiry of every connection this process holds, every TTL / 3, while it
        holds any."""
        while self._held:
            await asyncio.sleep(api_settings.CONNECTION_COUNT_TTL / 3)
            try:
                await asyncio.wait_for(self.refresh(), REDIS_TIMEOUT)
            except UNREACHABLE as exc:
                logger.warning("Could not refresh the connection counts in Redis (%s)", failure(exc))

    async def refresh(self) -> None:
        """Refresh the expiry of every held connection now, in one round trip."""
        held = list(self._held.items())
        if not held:
            return
        async with self._redis().pipeline(transaction=False) as pipe:
            for start in range(0, len(held), REFRESH_BATCH):
                batch = held[start : start + REFRESH_BATCH]
                args = [self.ttl_ms, *(connection for connection, _ in batch)]
                await self._refresh_script(keys=[key for _, key in batch], args=args, client=pipe)
            await pipe.execute()


def failure(exc: BaseException) -> str:
    """How a failed Redis call reads in a log line."""
    if isinstance(exc, TimeoutError) and not isinstance(exc, RedisError):
        return f"no answer within {REDIS_TIMEOUT} s"
    return f"{type(exc).__name__}: {exc}"
