from rest_framework.routers import SimpleRouter

from concerns.api import views

router = SimpleRouter()
router.register("concerns", views.ConcernViewSet)

urlpatterns = router.urls
