# todolist/serializers.py: the conditional serializer pattern
from rest_framework import serializers

from djangochannelsrestframework.contrib.rest_live.decorators import subscribable

from .models import Task


def has_auth(user, instance):
    return user.is_authenticated


def has_no_auth(user, instance):
    return not has_auth(user, instance)


@subscribable(group_key="list_id", check_permission=has_auth)
class AuthedTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "text", "done"]


@subscribable(group_key="list_id", check_permission=has_no_auth)
class NoAuthTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "text"]
