"""URLs of the enrollments app: the attention page and its API (included from config.urls)."""

from django.urls import path

from enrollments import views
from enrollments.api.views import AttentionView, ImpactView

app_name = "enrollments"

urlpatterns = [
    path("attention/", views.attention, name="attention"),
    path("attention/snooze/", views.attention_snooze_view, name="attention-snooze"),
    path("api/attention/", AttentionView.as_view(), name="api-attention"),
    path("api/impact/", ImpactView.as_view(), name="api-impact"),
]
