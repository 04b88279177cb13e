"""The case pages (included from config.urls at the root)."""

from django.urls import path

from concerns import views

app_name = "concerns"

urlpatterns = [
    path("cases/", views.concern_list, name="list"),
    path("cases/new/", views.concern_new, name="new"),
    path("cases/<int:pk>/", views.concern_detail, name="detail"),
    path("cases/<int:pk>/action/", views.concern_action, name="action"),
]
