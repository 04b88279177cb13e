from rest_framework.routers import SimpleRouter

from buddy.api import views

router = SimpleRouter()  # the API root of every app: config/api_root.py
router.register("people", views.PersonViewSet)
router.register("companies", views.CompanyViewSet)
router.register("external-ids", views.ExternalIdViewSet)
router.register("matches", views.MatchViewSet)
router.register("informal-events", views.InformalEventViewSet)
router.register("attendances", views.EventAttendanceViewSet)
router.register("skill-sessions", views.SkillSessionViewSet)
router.register("check-ins", views.CheckInViewSet)
router.register("feedback", views.FeedbackViewSet)
router.register("milestones", views.MilestoneViewSet)

urlpatterns = router.urls
