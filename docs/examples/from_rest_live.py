# A django-rest-live 0.7 project after the switch: only the import prefix changed.
from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path
from rest_framework import serializers
from rest_framework.viewsets import ModelViewSet

from djangochannelsrestframework.contrib.rest_live.mixins import RealtimeMixin
from djangochannelsrestframework.contrib.rest_live.routers import RealtimeRouter

from .todolist.models import Task


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "text", "done"]


class TaskViewSet(ModelViewSet, RealtimeMixin):
    queryset = Task.objects.all()
    serializer_class = TaskSerializer


router = RealtimeRouter()
router.register(TaskViewSet)  # Register all ViewSets here

websockets = AuthMiddlewareStack(
    URLRouter(
        [
            path("ws/subscribe/", router.as_consumer().as_asgi(), name="subscriptions"),
        ]
    )
)
application = ProtocolTypeRouter({"websocket": websockets})
