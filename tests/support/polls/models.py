"""The channels-api documentation's ``Question`` (tests of the channels-api compatibility layer)."""

from __future__ import annotations

from typing import Any

from django.db import models


class QuestionQuerySet(models.QuerySet["Question"]):
    def build_report(self) -> dict[str, Any]:
        return {"questions": self.count(), "published": self.filter(published=True).count()}


class Question(models.Model):
    question_text = models.CharField(max_length=200)
    published = models.BooleanField(default=False)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        app_label = "polls"

    def publish(self) -> dict[str, Any]:
        self.published = True
        self.save()
        return {"id": self.pk, "published": True}
