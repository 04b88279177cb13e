from django.urls import path
from rest_framework.routers import SimpleRouter

from matching.api import views

router = SimpleRouter()
router.register("recommendations/criteria", views.CriteriaViewSet, basename="criteria")
router.register("recommendations/runs", views.RunViewSet, basename="recommendation-run")
router.register("recommendations/proposals", views.ProposalViewSet, basename="proposal")

urlpatterns = [
    path("recommendations/top/", views.TopForParticipantView.as_view(), name="recommendation-top"),
    *router.urls,
]
