from rest_framework import serializers

from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.observer import model_observer
from djangochannelsrestframework.permissions import AllowAny

from .models import Comment, Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


class ItemFeedConsumer(AsyncAPIConsumer):
    """Every committed change of any Item, tagged with the subscription's request_id."""

    permission_classes = [AllowAny]

    @model_observer(Item, serializer_class=ItemSerializer)
    async def item_changes(self, message, action=None, subscribing_request_ids=(), **kwargs):
        for request_id in subscribing_request_ids:
            await self.reply(action=action, data=message, request_id=request_id)

    @action()
    async def subscribe(self, request_id=None, **kwargs):
        await self.item_changes.subscribe(request_id=request_id)
        return None, 201

    @action()
    async def unsubscribe(self, request_id=None, **kwargs):
        await self.item_changes.unsubscribe(request_id=request_id)
        return None, 204


class MyCommentsConsumer(AsyncAPIConsumer):
    """Changes of the comments the connected user wrote, and of no one else's."""

    permission_classes = [AllowAny]

    @model_observer(Comment)
    async def my_comments(self, message, action=None, **kwargs):
        await self.send_json({"event": action, "comment": message})

    @my_comments.serializer
    def my_comments(self, instance, action, **kwargs):
        return {"id": instance.pk, "text": instance.text}

    @my_comments.groups_for_signal
    def my_comments(self, instance, **kwargs):
        # Runs for every saved Comment: use field values only, never a query.
        yield f"author-{instance.user_id}"

    @my_comments.groups_for_consumer
    def my_comments(self, consumer=None, **kwargs):
        # Runs when the socket subscribes or unsubscribes.
        yield f"author-{consumer.scope['user'].pk}"

    @action()
    async def watch_my_comments(self, **kwargs):
        await self.my_comments.subscribe()
        return None, 201
