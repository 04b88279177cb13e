"""Who may call an endpoint, by role (``buddy.access``). Every view names one of these.

Rows are scoped separately, by the selectors' ``scope_*`` functions: a permission says
whether the login may use the endpoint at all, the scope which rows it sees (others: 404).
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions

from buddy.access import access_for


class ProgramData(BasePermission):
    """Program data: coordinators, viewers and superusers read; coordinators and superusers
    change (viewers get 403 on every write). Company users and logins without a role: 403."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        access = access_for(request.user)
        if request.method in SAFE_METHODS:
            return access.reads_programs
        return access.changes_programs


class AnyRole(BasePermission):
    """Any login with a role, company users included (the API schema, token pages)."""

    message = "Your login has no role."

    def has_permission(self, request, view) -> bool:
        return access_for(request.user).has_role


class ImpactFigures(BasePermission):
    """Aggregated impact figures: program roles for their programs, company users for
    their own company (read only)."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        access = access_for(request.user)
        return request.method in SAFE_METHODS and access.has_role


class StaffModelPermissions(DjangoModelPermissions):
    """Work outside the program roles (subscribers receive every program's events): superusers
    and staff given the model's Django permissions (``view`` to read, ``add``/``change``/
    ``delete`` to write), as in the admin."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_staff) and super().has_permission(
            request, view
        )
