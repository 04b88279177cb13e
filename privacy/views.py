"""The person page's personal-data actions: download the export, erase (typed confirmation).

Thin over the same services as the API and the commands (``privacy.services``): the export
is recorded in the access log, the erasure goes through ``person_erase`` (which checks the
typed phrase and refuses a second erasure). Scope as everywhere: a person outside the login's
programs is a 404.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from buddy.access import access_for, role_required
from buddy.access_log import log_person_access
from buddy.models import Person
from buddy.selectors import scope_people
from core.errors import DomainError, said
from privacy.selectors import erases_people, person_is_erased
from privacy.services import confirmation_phrase, person_erase, person_export_hand_out


def _person(request, pk: int) -> Person:
    return get_object_or_404(scope_people(Person.objects.all(), access_for(request.user)), pk=pk)


@role_required(read="change", change="change")
@require_GET
def person_export_download(request, pk):
    """The subject access export as a download (coordinators of the person's program)."""
    person = _person(request, pk)
    content = person_export_hand_out(person=person, by=request.user)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.zip"'
    return response


class EraseForm(forms.Form):
    confirmation = forms.CharField(
        label=gettext_lazy("Type the phrase to confirm"), max_length=60, strip=True
    )


@role_required(read="change", change="change")
@require_http_methods(["GET", "POST"])
def person_erase_confirm(request, pk):
    """GET: what erasure does and the typed confirmation; POST: erase, back to the person."""
    if not erases_people(request.user):
        raise PermissionDenied
    person = _person(request, pk)
    status = 200
    if request.method == "POST":
        form = EraseForm(request.POST)
        if form.is_valid():
            try:
                person_erase(
                    person=person,
                    by=request.user,
                    via="page",
                    confirmation=form.cleaned_data["confirmation"],
                )
            except DomainError as error:
                form.add_error(None, said(error.message))
            else:
                messages.success(
                    request,
                    _("Person #%(id)s: personal data erased. The statistics are kept.")
                    % {"id": person.pk},
                )
                return redirect("buddy:person", pk=person.pk)
        status = 400
    else:
        form = EraseForm()
        log_person_access(request, person)
    return render(
        request,
        "privacy/person_erase.html",
        {
            "person": person,
            "form": form,
            "phrase": confirmation_phrase(person),
            "erased": person_is_erased(person),
        },
        status=status,
    )
