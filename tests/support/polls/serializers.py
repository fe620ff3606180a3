from rest_framework import serializers

from .models import Question


class QuestionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Question
        fields = ["id", "question_text", "published"]
