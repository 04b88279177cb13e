"""Webhook receiver, stats, health, metrics, the webhooks API and the coordinator review screens."""

from django.urls import include, path

from webhooks import views, views_imports, views_review
from webhooks import views_subscribers as subscribers
from webhooks.api.feed import EventFeedView

app_name = "webhooks"

urlpatterns = [
    path(views.RECEIVER_ROUTE, views.buddy_events, name="buddy-events"),
    path("webhooks/stats", views.WebhookStatsView.as_view(), name="stats"),
    path("health", views.health, name="health"),
    path("health/ready", views.health_ready, name="health-ready"),
    path("metrics", views.metrics_view, name="metrics"),
    path("api/webhooks/", include("webhooks.api.urls")),
    path("api/events/", EventFeedView.as_view(), name="event-feed"),  # published events
    # coordinator screens: upload exports, follow their runs, read their reports
    path("imports/", views_imports.imports, name="imports"),
    path("imports/<int:pk>/", views_imports.import_run, name="import-run"),
    path(
        "imports/<int:pk>/progress/", views_imports.import_run_progress, name="import-run-progress"
    ),
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
    # coordinator screens: the subscribers of our events and their deliveries
    path("webhooks/subscribers/", subscribers.subscribers, name="subscribers"),
    path("webhooks/subscribers/add/", subscribers.subscriber_add, name="subscriber-add"),
    path(
        "webhooks/subscribers/<int:pk>/edit/", subscribers.subscriber_edit, name="subscriber-edit"
    ),
    path(
        "webhooks/subscribers/<int:pk>/enable/",
        subscribers.subscriber_enable,
        name="subscriber-enable",
    ),
    path(
        "webhooks/subscribers/<int:pk>/disable/",
        subscribers.subscriber_disable,
        name="subscriber-disable",
    ),
    path(
        "webhooks/subscribers/<int:pk>/rotate-secret/",
        subscribers.subscriber_rotate_secret,
        name="subscriber-rotate-secret",
    ),
    path(
        "webhooks/subscribers/<int:pk>/drop-old-secrets/",
        subscribers.subscriber_drop_old_secrets,
        name="subscriber-drop-old-secrets",
    ),
    path(
        "webhooks/subscribers/<int:pk>/deliveries/",
        subscribers.subscriber_deliveries,
        name="subscriber-deliveries",
    ),
    path(
        "webhooks/subscribers/deliveries/<int:pk>/resend/",
        subscribers.delivery_resend,
        name="subscriber-delivery-resend",
    ),
]
