"""The project's consumers, written against DCRF 1.3's documented API."""

from channels.db import database_sync_to_async

from djangochannelsrestframework import permissions
from djangochannelsrestframework.consumers import AsyncAPIConsumer
from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import (
    CreateModelMixin,
    DeleteModelMixin,
    ListModelMixin,
    PatchModelMixin,
    RetrieveModelMixin,
)
from djangochannelsrestframework.observer import model_observer
from djangochannelsrestframework.observer.generics import ObserverModelInstanceMixin

from .models import Todo, TodoList
from .serializers import TodoListSerializer, TodoSerializer


class HelloConsumer(AsyncAPIConsumer):
    @action()
    async def hello(self, name, **kwargs):
        return {"hello": name}, 200


class TodoConsumer(
    ListModelMixin,
    RetrieveModelMixin,
    CreateModelMixin,
    PatchModelMixin,
    DeleteModelMixin,
    GenericAsyncAPIConsumer,
):
    serializer_class = TodoSerializer
    permission_classes = (permissions.IsAuthenticated,)

    def get_queryset(self, **kwargs):
        return Todo.objects.filter(todo_list__owner=self.scope["user"]).order_by("id")

    @action()
    def mark_done(self, pk, **kwargs):
        todo = self.get_object(pk=pk)
        todo.done = True
        todo.save()
        return TodoSerializer(todo).data, 200

    @model_observer(Todo)
    async def todo_activity(self, message, observer=None, subscribing_request_ids=[], **kwargs):
        for request_id in subscribing_request_ids:
            await self.reply(action=message["action"], data=message["data"], request_id=request_id)

    @todo_activity.groups_for_signal
    def todo_activity(self, instance, **kwargs):
        yield f"todo-list-{instance.todo_list_id}"

    @todo_activity.groups_for_consumer
    def todo_activity(self, todo_list, **kwargs):
        yield f"todo-list-{todo_list}"

    @todo_activity.serializer
    def todo_activity(self, instance, action, **kwargs):
        return {"action": action.value, "data": TodoSerializer(instance).data}

    @action()
    async def subscribe_to_list(self, todo_list, request_id, **kwargs):
        allowed = await database_sync_to_async(TodoList.objects.filter(pk=todo_list, owner=self.scope["user"]).exists)()
        if not allowed:
            return {"detail": "Not yours."}, 403
        await self.todo_activity.subscribe(todo_list=todo_list, request_id=request_id)
        return {}, 201


class TodoListConsumer(ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    queryset = TodoList.objects.all()
    serializer_class = TodoListSerializer
    permission_classes = (permissions.IsAuthenticated,)
