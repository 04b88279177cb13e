"""Top-level URLs: admin, API + schema, webhooks, health."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from buddy.api.permissions import AnyRole

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "api/schema/", SpectacularAPIView.as_view(permission_classes=[AnyRole]), name="api-schema"
    ),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[AnyRole]),
        name="api-docs",
    ),
    path("api/imports/", include("buddy.imports.urls")),  # export uploads and their runs
    path("api/", include("concerns.api.urls")),  # cases (issue 21)
    path("api/", include("buddy.api.urls")),
    path("", include("webhooks.urls")),
    path("", include("enrollments.urls")),  # /attention/ and /api/attention/
    path("", include("buddy.urls")),
]
