from django.db import models


class Item(models.Model):
    """A small model for the tests."""

    name = models.CharField(max_length=100)
    value = models.IntegerField(default=0)

    class Meta:
        app_label = "app"


class Comment(models.Model):
    """A user's comment (observer tests: filtered model observer)."""

    text = models.TextField()
    user = models.ForeignKey("auth.User", related_name="comments", on_delete=models.CASCADE)
    date = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "app"


class Board(models.Model):
    """A board with members (observer tests: group moves and many-to-many changes)."""

    name = models.CharField(max_length=100)
    team = models.IntegerField(default=0)
    members = models.ManyToManyField("auth.User", related_name="boards", blank=True)

    class Meta:
        app_label = "app"
