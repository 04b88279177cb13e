"""Template context of every page: the login's access (role and scope, ``buddy.access``) and
what the layout needs (the program switcher, the language picker)."""

from django.utils.functional import SimpleLazyObject

from buddy.access import access_for


def access(request):
    return {"access": SimpleLazyObject(lambda: access_for(getattr(request, "user", None)))}


def layout(request):
    """The programs of the switcher and the current one (set by ``current_program``, else the
    one remembered in the session). Lazy: a page that does not render the layout pays nothing."""

    def programs():
        return list(access_for(getattr(request, "user", None)).programs().order_by("name"))

    def current():
        program = getattr(request, "current_program", None)
        if program is not None:
            return program.program_type
        session = getattr(request, "session", None)
        return session.get("program", "") if session is not None else ""

    return {
        "nav_programs": SimpleLazyObject(programs),
        "current_program_type": SimpleLazyObject(current),
    }
