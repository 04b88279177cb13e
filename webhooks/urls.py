"""Webhook receiver, stats, health, metrics, the webhooks API and the coordinator review screens."""

from django.urls import include, path

from webhooks import views, views_review
from webhooks.api.feed import EventFeedView

app_name = "webhooks"

urlpatterns = [
    path("webhooks/buddy-events", views.buddy_events, name="buddy-events"),
    path("webhooks/stats", views.WebhookStatsView.as_view(), name="stats"),
    path("health", views.health, name="health"),
    path("health/ready", views.health_ready, name="health-ready"),
    path("metrics", views.metrics_view, name="metrics"),
    path("api/webhooks/", include("webhooks.api.urls")),
    path("api/events/", EventFeedView.as_view(), name="event-feed"),  # published events
    # coordinator screens: review and replay stored events, review conflicts
    path("webhooks/review/", views_review.review, name="review"),
    path("webhooks/review/replay/", views_review.review_replay_bulk, name="review-replay-bulk"),
    path(
        "webhooks/review/events/<uuid:event_id>/replay/",
        views_review.review_replay,
        name="review-replay",
    ),
    path("webhooks/review/conflicts/", views_review.review_conflicts, name="review-conflicts"),
    path(
        "webhooks/review/conflicts/<int:pk>/reviewed/",
        views_review.review_conflict_mark,
        name="review-conflict-reviewed",
    ),
]
