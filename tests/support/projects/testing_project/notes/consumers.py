from rest_framework import serializers

from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import CreateModelMixin, ListModelMixin
from djangochannelsrestframework.observer import ObserverModelInstanceMixin
from djangochannelsrestframework.permissions import IsAuthenticated

from .models import Note


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["id", "text", "done"]


class NoteConsumer(ListModelMixin, CreateModelMixin, ObserverModelInstanceMixin, GenericAsyncAPIConsumer):
    """The user's notes: list, create, retrieve, live updates, and marking one done."""

    serializer_class = NoteSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self, **kwargs):
        return Note.objects.filter(owner=self.scope["user"]).order_by("id")

    def perform_create(self, serializer, **kwargs):
        serializer.save(owner=self.scope["user"])

    @action()
    def mark_done(self, pk, **kwargs):
        note = self.get_object(pk=pk)
        note.done = True
        note.save()
        return NoteSerializer(note).data, 200
