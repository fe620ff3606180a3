"""The chat's data: rooms, their members, messages, and who is present (one row per open socket)."""

from django.conf import settings
from django.db import models


class Room(models.Model):
    """A chat room; its host may rename or delete it, its members may post."""

    name = models.CharField(max_length=100, unique=True)
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_rooms")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="rooms", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: Saved when the members change too, so subscribers of the room hear about new members.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """A message posted in a room."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    text = models.TextField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.user} in {self.room}: {self.text[:30]}"


class Presence(models.Model):
    """One open websocket of a user in a room: created when the socket joins, deleted when it closes.

    A row per socket (not per user) keeps a user present while any of their tabs is open, and a
    row in the database (not process memory) makes presence work across server processes.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presences")
    channel_name = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "channel_name"], name="one_presence_per_socket")]

    def __str__(self) -> str:
        return f"{self.user} in {self.room}"
