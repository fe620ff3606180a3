from django.contrib.auth.models import User
from rest_framework import serializers

from djangochannelsrestframework.decorators import action
from djangochannelsrestframework.generics import GenericAsyncAPIConsumer
from djangochannelsrestframework.mixins import RetrieveModelMixin
from djangochannelsrestframework.permissions import BasePermission


class ProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["username", "first_name", "is_staff"]


class IsStaffOrSelf(BasePermission):
    """Anyone may act; only staff may act on someone else's profile."""

    async def has_permission(self, scope, consumer, action, **kwargs):
        return True

    async def has_object_permission(self, scope, consumer, action, obj, **kwargs):
        user = scope["user"]
        return user.is_staff or user.pk == obj.pk


class ProfileConsumer(RetrieveModelMixin, GenericAsyncAPIConsumer):
    queryset = User.objects.filter(is_active=True)
    serializer_class = ProfileSerializer
    lookup_field = "username"
    permission_classes = [IsStaffOrSelf]

    @action()
    def rename(self, username: str, first_name: str, **kwargs):
        user = self.get_object(username=username, **kwargs)  # 400 / 404 / 403 as for retrieve
        user.first_name = first_name
        user.save(update_fields=["first_name"])
        return self.get_serializer(instance=user, action_kwargs=kwargs).data, 200

    @action()
    def staff(self, **kwargs):
        users = self.get_queryset(**kwargs).filter(is_staff=True).order_by("username")
        return [user.username for user in users], 200
