"""The demo's logins, one per kind of work (``buddy.access``), all with the same password."""

import secrets

from django.conf import settings

from buddy.access import grant_role
from buddy.factories import UserFactory
from buddy.models import AccessRole, User

from .common import Demo

COORDINATOR_USERNAME = "coordinator"
#: The program's coordinator, a viewer of it, and a superuser for the admin (data fixes).
DEMO_LOGINS = (
    (COORDINATOR_USERNAME, "coordinator of the demo program"),
    ("viewer", "viewer of the demo program (personal data masked)"),
    ("admin", "superuser (admin at /admin/)"),
)
#: Used under DEBUG (``make run``) so the printed login always works; never in production.
LOCAL_DEMO_PASSWORD = "coordinator-demo"  # noqa: S105


def logins(demo: Demo, password: str | None) -> User:
    """The demo's logins (``DEMO_LOGINS``) with their roles; returns the coordinator.

    Without a password: the fixed local one under DEBUG, otherwise a random one for a new
    login (an existing login keeps its password).
    """
    existing = User.objects.filter(username=COORDINATOR_USERNAME).exists()
    if password is None and (not existing or settings.DEBUG):
        password = LOCAL_DEMO_PASSWORD if settings.DEBUG else secrets.token_urlsafe(12)
    users = {username: _login(demo, username, password) for username, _what in DEMO_LOGINS}
    grant_role(user=users["coordinator"], role=AccessRole.COORDINATOR, programs=[demo.program])
    grant_role(user=users["viewer"], role=AccessRole.VIEWER, programs=[demo.program])
    demo.report.password = password
    demo.report.logins = DEMO_LOGINS
    return users[COORDINATOR_USERNAME]


def _login(demo: Demo, username: str, password: str | None) -> User:
    """The login, created (the admin as a superuser) or re-activated with the password."""
    user = User.objects.filter(username=username).first()
    if user is None:
        superuser = username == "admin"
        demo.created("User", 1)
        return UserFactory(
            username=username,
            is_staff=superuser,
            is_superuser=superuser,
            password=password or secrets.token_urlsafe(12),
        )
    user.is_active = True
    if password is not None:
        user.set_password(password)
    user.save()
    return user
