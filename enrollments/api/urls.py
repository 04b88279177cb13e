from rest_framework.routers import SimpleRouter

from enrollments.api import views

router = SimpleRouter()
router.register("programs", views.ProgramViewSet)
router.register("enrollments", views.EnrollmentViewSet)
router.register("journey-flags", views.JourneyFlagsViewSet)

urlpatterns = router.urls
