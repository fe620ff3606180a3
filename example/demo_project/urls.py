"""HTTP routes: the demo page and Django's login/logout views."""

from chat.views import index
from django.contrib.auth import views as auth_views
from django.urls import path

urlpatterns = [
    path("", index, name="index"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
