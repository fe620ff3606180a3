# todolist/serializers.py: list updates for logged-in users only
from rest_framework import serializers

from djangochannelsrestframework.contrib.rest_live.decorators import subscribable

from .models import Task


def has_auth(user, instance):
    return user.is_authenticated


@subscribable(group_key="list_id", check_permission=has_auth)
class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "text", "done"]
