"""Top-level URLs: admin, login and language, API + schema, webhooks, health, the UI."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from buddy.api.permissions import AnyRole
from buddy.views import account
from config.api_root import api_root_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", account.LoginView.as_view(), name="login"),  # + the login's language
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", account.language_set, name="set_language"),  # kept on the account
    path(
        "api/schema/", SpectacularAPIView.as_view(permission_classes=[AnyRole]), name="api-schema"
    ),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[AnyRole]),
        name="api-docs",
    ),
    path("api/", api_root_view(), name="api-root"),  # every app's resources
    path("api/imports/", include("webhooks.imports.urls")),  # export uploads and their runs
    path("api/", include("privacy.urls")),  # a person's export and erasure
    path("api/", include("concerns.api.urls")),  # cases (issue 21)
    path("api/", include("buddy.api.urls")),
    path("api/", include("enrollments.api.urls")),  # programs, enrollments, journey flags
    path("api/", include("matching.api.urls")),  # recommendations
    path("matching/", include("matching.urls")),  # the matching board (issue 19)
    path("", include("webhooks.urls")),
    path("", include("enrollments.urls")),  # /attention/ and /api/attention/
    path("", include("privacy.urls_pages")),
    path(
        "", include("concerns.urls")
    ),  # the case pages (issue 21)  # a person page's export and erasure
    path("", include("buddy.urls")),
]

handler404 = "config.errors.page_not_found"  # JSON error body under /api/
