from rest_framework.routers import DefaultRouter

from buddy.api import views

router = DefaultRouter()
router.register("people", views.PersonViewSet)
router.register("matches", views.MatchViewSet)

urlpatterns = router.urls
