from django.urls import path

from core.api.views import EventFeedView

app_name = "core"

urlpatterns = [
    path("api/events/", EventFeedView.as_view(), name="event-feed"),
]
