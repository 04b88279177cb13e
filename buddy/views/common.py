"""What every coordinator page shares: the current program (the program switcher)."""

from django.http import Http404

from buddy.access import access_for
from buddy.models import Program
from buddy.selectors import program_in_scope
from core.errors import DomainError

#: The session key of the program a login works in (kept across pages).
SESSION_PROGRAM = "program"


def current_program(request) -> Program:
    """The program a page shows: ``?program=<type>`` wins (and is remembered), else the one
    remembered in the session (if still in scope), else the login's first program.

    An unknown ``?program=`` raises ``ValidationFailed`` (a 400), one out of scope ``Http404``.
    """
    access = access_for(request.user)
    wanted = request.GET.get("program")
    program = None
    if wanted:
        program = program_in_scope(wanted, access)
    elif stored := request.session.get(SESSION_PROGRAM):
        try:
            program = program_in_scope(stored, access)
        except (DomainError, Http404):  # the grant was taken away since: forget it
            program = None
    if program is None:
        program = program_in_scope(None, access)
    if request.session.get(SESSION_PROGRAM) != program.program_type:
        request.session[SESSION_PROGRAM] = program.program_type  # (a write only on a change)
    request.current_program = program
    return program


def program_errors(view):
    """An unknown ``?program=`` answers 400 with the message on the page, never a 500."""
    from functools import wraps

    from django.shortcuts import render

    @wraps(view)
    def guarded(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            return render(request, "buddy/error.html", {"error": error}, status=error.http_status)

    return guarded
