from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.throttling import ActionRateThrottle, UserRateThrottle


class SearchConsumer(AsyncAPIConsumer):
    # Each user (anonymous clients: each address) gets the "user" rate over all their sockets,
    # and actions with a throttle scope get that scope's rate on top.
    throttle_classes = [UserRateThrottle, ActionRateThrottle]

    @action()
    async def search(self, text: str):
        return {"results": [], "text": text}, 200

    @action(throttle_scope="exports")
    async def export(self):
        return {"queued": True}, 202


# In your Django settings module:
DJANGO_CHANNELS_REST_API = {
    "DEFAULT_THROTTLE_RATES": {"user": "100/min", "exports": "2/hour"},
}
# The history of requests lives in Django's cache: use a shared one (Redis) when several
# processes serve the websockets, so they share one limit.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
}
