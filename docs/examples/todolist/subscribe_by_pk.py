# todolist/serializers.py: updates to single tasks, by primary key
from rest_framework import serializers

from djangochannelsrestframework.contrib.rest_live.decorators import subscribable

from .models import Task


@subscribable()
class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "text", "done"]
