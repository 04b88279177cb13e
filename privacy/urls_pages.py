"""The person page's personal-data actions (included from config.urls at the root)."""

from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("people/<int:pk>/export/", views.person_export_download, name="person-export"),
    path("people/<int:pk>/erase/", views.person_erase_confirm, name="person-erase"),
]
