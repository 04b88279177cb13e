from rest_framework.routers import SimpleRouter

from webhooks.api import views

router = SimpleRouter()
router.register("events", views.WebhookEventViewSet, basename="webhook-event")

urlpatterns = router.urls
