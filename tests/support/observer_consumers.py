"""Consumers used by the observer tests (seed documentation examples, with obvious typos fixed)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.dispatch.dispatcher import Signal
from rest_framework import serializers, status

from djangochannelsrestframework import permissions
from djangochannelsrestframework.consumers import AsyncAPIConsumer, GenericAsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.observer import ObserverModelInstanceMixin, model_observer, observer
from tests.support.app.models import Board, Comment, Item


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email"]


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "text", "user"]


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "value"]


# -- seed: model observer (all comments) -------------------------------------------------------------


class AllCommentsConsumer(GenericAsyncAPIConsumer):
    queryset = User.objects.all()
    serializer_class = UserSerializer
    permission_classes = (permissions.AllowAny,)

    @model_observer(Comment)
    async def comment_activity(self, message, observer=None, **kwargs):
        await self.send_json(message)

    @comment_activity.serializer
    def comment_activity(self, instance: Comment, action, **kwargs):
        return CommentSerializer(instance).data

    @action()
    async def subscribe_to_comment_activity(self, **kwargs):
        await self.comment_activity.subscribe()


# -- seed: filtered model observer (comments of the current user) -----------------------------------


class MyCommentsConsumer(GenericAsyncAPIConsumer):
    queryset = User.objects.all()
    serializer_class = UserSerializer
    permission_classes = (permissions.AllowAny,)

    @model_observer(Comment)
    async def comment_activity(self, message: CommentSerializer, observer=None, **kwargs):
        await self.send_json(message.data)

    @comment_activity.serializer
    def comment_activity(self, instance: Comment, action, **kwargs) -> CommentSerializer:
        "This will return the comment serializer"
        return CommentSerializer(instance)

    @comment_activity.groups_for_signal
    def comment_activity(self, instance: Comment, **kwargs):
        # this block of code is called very often *DO NOT make DB QUERIES HERE*
        yield f"-user_{instance.user_id}"  #! the string **user** is the ``Comment's`` user field.

    @comment_activity.groups_for_consumer
    def comment_activity(self, school=None, classroom=None, **kwargs):
        # This is called when you subscribe/unsubscribe
        yield f"-user_{self.scope['user'].pk}"

    @action()
    async def subscribe_to_comment_activity(self, **kwargs):
        # We will check if the user is authenticated for subscribing.
        if "user" in self.scope and self.scope["user"].is_authenticated:
            await self.comment_activity.subscribe()


# -- seed: signal observer ----------------------------------------------------------------------------

joined_chat_signal = Signal()


class ChatConsumer(AsyncAPIConsumer):
    permission_classes = (permissions.AllowAny,)

    @action()
    def join_chat(self, chat_id, **kwargs):
        serializer = UserSerializer(instance=self.scope["user"])
        joined_chat_signal.send(sender="join_chat", data=serializer.data, **kwargs)
        return {}, status.HTTP_204_NO_CONTENT

    @observer(signal=joined_chat_signal)
    async def joined_chat_handler(self, data, observer=None, action=None, **kwargs):
        await self.reply(action="joined_chat", data=data, status=status.HTTP_200_OK)

    @joined_chat_handler.serializer
    def join_chat_handler(self, sender, data, **kwargs):  # the data comes from the signal.send
        return data

    @joined_chat_handler.groups_for_signal
    def joined_chat_handler(self, instance, **kwargs):
        yield f"chat__{instance}"

    @joined_chat_handler.groups_for_consumer
    def joined_chat_handler(self, chat, **kwargs):
        if chat:
            yield f"chat__{chat}"

    @action()
    async def subscribe_joined(self, chat_id, **kwargs):
        await self.joined_chat_handler.subscribe(chat_id)

    @action()
    async def unsubscribe_joined(self, chat_id, **kwargs):
        await self.joined_chat_handler.unsubscribe(chat_id)


# -- library features -------------------------------------------------------------------------------


class ItemActivityConsumer(AsyncAPIConsumer):
    """Every committed Item change, with the subscription's request id."""

    permission_classes = (permissions.AllowAny,)

    @model_observer(Item, serializer_class=ItemSerializer)
    async def item_activity(self, message, action=None, subscribing_request_ids=(), **kwargs):
        for request_id in subscribing_request_ids or [None]:
            await self.reply(action=action, data=message, request_id=request_id)

    @action()
    async def subscribe(self, request_id=None, **kwargs):
        await self.item_activity.subscribe(request_id=request_id)
        return None, 201

    @action()
    async def unsubscribe(self, request_id=None, **kwargs):
        await self.item_activity.unsubscribe(request_id=request_id)
        return None, 204


class TeamBoardsConsumer(AsyncAPIConsumer):
    """Boards per team; a board moving between teams is a delete for one team and a create for the other."""

    permission_classes = (permissions.AllowAny,)

    @model_observer(Board)
    async def board_activity(self, message, action=None, **kwargs):
        await self.send_json({"action": action, "body": dict(message)})

    @board_activity.groups_for_signal
    def board_activity(self, instance, **kwargs):
        yield f"team-{instance.team}"
        yield "all"

    @board_activity.groups_for_consumer
    def board_activity(self, team=None, consumer=None, **kwargs):
        yield f"team-{team}" if team is not None else "all"

    @board_activity.serializer
    def board_activity(self, instance, action, **kwargs):
        return {"name": instance.name, "team": instance.team}

    @action()
    async def watch(self, team=None, **kwargs):
        await self.board_activity.subscribe(team=team)
        return None, 201


class ItemInstanceConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    permission_classes = (permissions.AllowAny,)


class NoNegativeItems(permissions.BasePermission):
    """Denies the scope flag ``deny`` holders and objects with a negative value."""

    async def has_permission(self, scope, consumer, action, **kwargs) -> bool:
        return not scope.get("deny")

    def has_object_permission(self, scope, consumer, action, obj, **kwargs) -> bool:
        return obj.value >= 0


class GuardedItemConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    serializer_class = ItemSerializer
    permission_classes = (NoNegativeItems,)

    def get_queryset(self, **kwargs):
        return Item.objects.all()


class BoardInstanceConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    queryset = Board.objects.all()
    permission_classes = (permissions.AllowAny,)
    observer_many_to_many_relationships = True

    class serializer_class(serializers.ModelSerializer):
        class Meta:
            model = Board
            fields = ["id", "name", "members"]


class ItemByNameConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    """Objects named by ``name`` instead of ``pk``."""

    queryset = Item.objects.all()
    serializer_class = ItemSerializer
    permission_classes = (permissions.AllowAny,)
    lookup_field = "name"
