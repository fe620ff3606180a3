from django.contrib.auth.models import User
from django.http import HttpResponse
from django.urls import path
from rest_framework import serializers, viewsets
from rest_framework.decorators import api_view
from rest_framework.response import Response

from djangochannelsrestframework.consumers import view_as_consumer


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email"]


class UserViewSet(viewsets.ModelViewSet):
    queryset = User.objects.order_by("id")
    serializer_class = UserSerializer


@api_view(["GET", "PUT"])
def settings_view(request, section):
    """A DRF function view: ``section`` is a URL kwarg, ``request.data`` the body."""
    if request.method == "PUT":
        return Response({"section": section, "saved": request.data})
    return Response({"section": section, "fields": request.query_params.getlist("field")})


def greeting(request):
    """A plain Django view."""
    return HttpResponse(f"Hello, {request.GET.get('name', 'stranger')}!")


websocket_urlpatterns = [
    path("ws/users/", view_as_consumer(UserViewSet)),
    path("ws/settings/", view_as_consumer(settings_view, {"read": "GET", "save": "PUT"})),
    path("ws/greeting/", view_as_consumer(greeting, {"greet": "GET"})),
]
