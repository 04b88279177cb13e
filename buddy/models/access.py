"""Who may use the app: role grants with their scope, and personal API tokens.

A role is a Django group (``coordinator``, ``viewer``, ``company``); a ``RoleGrant`` is
its scope, stored, never implied: the programs a coordinator or viewer works in, the
company a company user belongs to. ``buddy.access`` turns a user's groups and grants into
the ``Access`` every view and selector asks. Superusers need no grant.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from knox.models import AbstractAuthToken

from buddy.models.base import choices_check


class AccessRole(models.TextChoices):
    """The roles, each a Django group of the same name (created by a data migration)."""

    COORDINATOR = "coordinator", "Coordinator"
    VIEWER = "viewer", "Viewer"
    COMPANY = "company", "Company"


#: Each role's group and its permissions (custom permissions of ``RoleGrant``). They name
#: what the role does; ``buddy.access`` decides by role and scope. No model permission is
#: given: the admin stays for superusers and staff given explicit permissions.
ROLE_PERMISSIONS = {
    "coordinator": ("read_program_data", "change_program_data"),
    "viewer": ("read_program_data",),
    "company": ("view_company_impact",),
}

#: Roles scoped to programs; the company role is scoped to one company.
PROGRAM_ROLES = (AccessRole.COORDINATOR, AccessRole.VIEWER)


class RoleGrant(models.Model):
    """One piece of a user's scope: a program they coordinate or view, or their company.

    A user holds one role (``buddy.access.grant_role`` refuses a second one): a coordinator
    or viewer has one grant per program, a company user one grant naming the company.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.CharField(max_length=20, choices=AccessRole.choices)
    program = models.ForeignKey(
        "buddy.Program",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_grants",
    )
    company = models.ForeignKey(
        "buddy.Company",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_grants",
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "role", "program_id", "company_id"]
        verbose_name = "role grant"
        # What each role may do, as permissions of its group (``ROLE_PERMISSIONS``).
        permissions = [
            ("read_program_data", "Read the data of the programs granted"),
            ("change_program_data", "Change the data of the programs granted"),
            ("view_company_impact", "View the aggregated impact figures of the company granted"),
        ]
        constraints = [
            choices_check("role", AccessRole.choices),
            models.CheckConstraint(
                condition=(
                    Q(role__in=PROGRAM_ROLES, program__isnull=False, company__isnull=True)
                    | Q(role=AccessRole.COMPANY, program__isnull=True, company__isnull=False)
                ),
                name="buddy_rolegrant_scope_fits_role",
                violation_error_message=(
                    "Coordinators and viewers are granted a program; company users a company."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "program"],
                condition=Q(program__isnull=False),
                name="buddy_rolegrant_once_per_program",
                violation_error_message="This user already has this role in this program.",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role=AccessRole.COMPANY),
                name="buddy_rolegrant_one_company",
                violation_error_message="A company user belongs to one company.",
            ),
        ]

    def __str__(self) -> str:
        scope = f"program #{self.program_id}" if self.program_id else f"company #{self.company_id}"
        return f"{self.role} of {scope}"


class ApiToken(AbstractAuthToken):
    """A personal API token (django-rest-knox): only its SHA-512 digest and a short prefix
    for look-up are stored, never the token; shown once when created."""

    name = models.CharField(max_length=100, help_text="What the token is for.")
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"API token {self.token_key}… ({self.name})"
