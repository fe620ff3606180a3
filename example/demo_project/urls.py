"""HTTP routes: the chat pages, Django's login/logout views and the browsable websocket API."""

from chat.views import index, room
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("", index, name="index"),
    path("rooms/<int:pk>/", room, name="room"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Served only with DEBUG on or to staff users (the app checks).
    path("ws-api/", include("djangochannelsrestframework.browsable.urls")),
]
