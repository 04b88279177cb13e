"""URLs of the enrollments app: the dashboard, the attention page and their API (included
from config.urls)."""

from django.urls import path

from enrollments import views, views_impact
from enrollments.api.views import AttentionView, HealthView, ImpactView, Q2QEvidenceView
from enrollments.api.views_feedback import FeedbackAnalysisView

app_name = "enrollments"

urlpatterns = [
    path("", views_impact.landing, name="dashboard"),  # company users: their impact page
    path("impact/", views_impact.impact_page, name="impact"),
    path("attention/", views.attention, name="attention"),
    path("attention/snooze/", views.attention_snooze_view, name="attention-snooze"),
    path("attention/remind/", views.attention_remind_view, name="attention-remind"),
    path("api/attention/", AttentionView.as_view(), name="api-attention"),
    path("api/impact/", ImpactView.as_view(), name="api-impact"),
    path("api/health/", HealthView.as_view(), name="api-health"),
    path("api/q2q/evidence/", Q2QEvidenceView.as_view(), name="api-q2q-evidence"),
    path("api/feedback-analysis/", FeedbackAnalysisView.as_view(), name="api-feedback-analysis"),
]
