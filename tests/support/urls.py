from django.urls import include, path

urlpatterns = [path("ws-api/", include("djangochannelsrestframework.browsable.urls"))]
