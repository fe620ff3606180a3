# todolist/serializers.py: by list and by primary key
from rest_framework import serializers

from djangochannelsrestframework.contrib.rest_live.decorators import subscribable

from .models import Task


@subscribable()
@subscribable(group_key="list_id")
class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "text", "done"]
