"""Template context of every page: the login's access (role and scope, ``buddy.access``)."""

from django.utils.functional import SimpleLazyObject

from buddy.access import access_for


def access(request):
    return {"access": SimpleLazyObject(lambda: access_for(getattr(request, "user", None)))}
