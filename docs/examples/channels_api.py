# polls/bindings.py, as in channels-api's documentation; only the imports changed (and the
# serializer, from polls/serializers.py there, is written out here).
from rest_framework import serializers

from djangochannelsrestframework.contrib.channels_api.bindings import ResourceBinding
from djangochannelsrestframework.contrib.channels_api.decorators import detail_action, list_action
from djangochannelsrestframework.contrib.channels_api.permissions import BasePermission, IsAuthenticated

from .models import Question


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["id", "question_text", "published"]


class QuestionBinding(ResourceBinding):
    model = Question
    stream = "questions"
    serializer_class = QuestionSerializer
    queryset = Question.objects.all()

    @detail_action()
    def publish(self, pk, data=None, **kwargs):
        instance = self.get_object(pk)
        result = instance.publish()
        return result, 200

    @list_action()
    def report(self, data=None, **kwargs):
        report = self.get_queryset().build_report()
        return report, 200


class MyPermission(BasePermission):
    def has_permission(self, user, action, pk):
        if action == "CREATE":  # noqa: SIM103 (as channels-api wrote it)
            return True
        return False


class MyBinding(ResourceBinding):
    model = Question
    stream = "private-questions"
    serializer_class = QuestionSerializer
    queryset = Question.objects.all()
    permission_classes = (IsAuthenticated,)
