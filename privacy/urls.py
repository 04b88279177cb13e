from django.urls import path

from privacy.api import views

urlpatterns = [
    path("people/<int:pk>/export/", views.PersonExportView.as_view(), name="person-export"),
    path("people/<int:pk>/erase/", views.PersonEraseView.as_view(), name="person-erase"),
]
