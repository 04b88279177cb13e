from django.urls import path

from buddy import views

app_name = "buddy"

urlpatterns = [
    path("", views.home, name="home"),
]
