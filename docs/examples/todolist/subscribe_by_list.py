# todolist/serializers.py: updates to every task of a list
from rest_framework import serializers

from djangochannelsrestframework.contrib.rest_live.decorators import subscribable

from .models import Task


@subscribable(group_key="list_id")
class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "text", "done"]
