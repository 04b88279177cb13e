"""``GET /api/``: one index of every app's API resources (each app keeps its own router)."""

from rest_framework.routers import DefaultRouter

from buddy.api.urls import router as buddy_router
from concerns.api.urls import router as concerns_router
from enrollments.api.urls import router as enrollments_router
from matching.api.urls import router as matching_router

ROUTERS = (buddy_router, enrollments_router, matching_router, concerns_router)


def api_root_view():
    """DRF's API root listing each registered resource's list URL, of every router."""
    entries = {
        prefix: f"{basename}-list"
        for router in ROUTERS
        for prefix, _viewset, basename in router.registry
    }
    return DefaultRouter.APIRootView.as_view(api_root_dict=entries)
