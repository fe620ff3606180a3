"""The models DCRF 1.3.0's test modules import from ``tests.models``."""

from __future__ import annotations

from django.db import models


class TestModel(models.Model):
    """A row with a name; the default integer primary key."""

    __test__ = False  # a model, not a test class

    name = models.CharField(max_length=255)


class TestModelWithCustomPK(models.Model):
    """A row whose primary key is its name."""

    __test__ = False

    name = models.CharField(max_length=255, primary_key=True)
    description = models.CharField(max_length=255, blank=True, null=True)
