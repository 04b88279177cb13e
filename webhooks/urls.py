"""Webhook receiver, stats, health, metrics and the webhooks API."""

from django.urls import include, path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/buddy-events", views.buddy_events, name="buddy-events"),
    path("webhooks/stats", views.WebhookStatsView.as_view(), name="stats"),
    path("health", views.health, name="health"),
    path("health/ready", views.health_ready, name="health-ready"),
    path("metrics", views.metrics_view, name="metrics"),
    path("api/webhooks/", include("webhooks.api.urls")),
]
