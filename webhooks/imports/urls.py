"""URLs of the import API, included under ``api/imports/``."""

from rest_framework.routers import SimpleRouter

from webhooks.imports.views import ImportRunViewSet

router = SimpleRouter()
router.register("", ImportRunViewSet, basename="import-run")

urlpatterns = router.urls
