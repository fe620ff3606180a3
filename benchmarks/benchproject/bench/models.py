from django.db import models


class Row(models.Model):
    """The model every framework consumer serves and observes."""

    name = models.CharField(max_length=64)
    value = models.IntegerField(default=0)


class PlainRow(models.Model):
    """Same fields as Row but never observed: the ORM-overhead baseline."""

    name = models.CharField(max_length=64)
    value = models.IntegerField(default=0)
