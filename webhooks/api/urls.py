from rest_framework.routers import SimpleRouter

from webhooks.api import views

router = SimpleRouter()
router.register("events", views.WebhookEventViewSet, basename="webhook-event")
router.register("deliveries", views.WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("subscribers", views.WebhookEndpointViewSet, basename="webhook-subscriber")
router.register("outbound-deliveries", views.OutboundDeliveryViewSet, basename="outbound-delivery")

urlpatterns = router.urls
