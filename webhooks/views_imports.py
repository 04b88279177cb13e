"""Coordinator screens of the imports: upload an export, watch its run, read its report.

Thin over ``webhooks.imports.services`` (the same upload service, size limit and refusals as
``POST /api/imports/``), ``buddy.selectors.scope_import_runs`` (which runs a login reads) and
``webhooks.imports.report`` (the report's lines and their summary). Uploads go into the
program of the switcher; the report shows ids, codes and fixed messages only.
"""

from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from buddy.access import access_for, role_required
from buddy.models import ImportRun, ImportStatus
from buddy.selectors import scope_import_runs
from buddy.views.common import current_program, program_errors
from core.errors import DomainError, ValidationFailed, said
from webhooks.imports.report import flag_lines, rejection_summary
from webhooks.imports.services import import_run_upload, upload_size_check

RUNS_PAGE_SIZE = 20
REJECTIONS_PAGE_SIZE = 50
#: While a run is queued or running its page asks for the progress this often (seconds).
POLL_SECONDS = 1
RUNNING = (ImportStatus.QUEUED, ImportStatus.RUNNING)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Export file"),
        help_text=gettext_lazy("A .zip or .json export, or one entity's .csv file."),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,.json,.csv"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run (check the export, write nothing)"), required=False
    )

    def refused(self, error: DomainError) -> None:
        """The service's refusal next to the file field (every refusal is about the file)."""
        if isinstance(error, ValidationFailed) and error.errors:
            for e in error.errors:
                self.add_error("file", said(e.message))
        else:
            self.add_error("file", said(error.message))


def _runs(request):
    return scope_import_runs(
        ImportRun.objects.select_related("program", "created_by"), access_for(request.user)
    )


def _list_page(request, form: UploadForm, *, status: int = 200, refusal: str = ""):
    program = current_program(request)
    runs = _runs(request).filter(program=program).defer("warnings", "rejections", "merges")
    page = Paginator(runs, RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "refusal": refusal,
        "program": program,
        "page": page,
        "runs": page.object_list,
    }
    return render(request, "webhooks/imports.html", context, status=status)


@csrf_exempt  # checked below, once the declared size is known to be within the limit
@role_required(read="programs", change="change")
@require_http_methods(["GET", "POST"])
@program_errors
def imports(request):
    """The upload form and the program's past runs; POST uploads an export (into the
    switcher's program) and goes to its run's page."""
    if request.method == "GET":
        return _list_page(request, UploadForm())
    try:  # as the API does: refuse on the declared length, before the body is read
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    try:
        upload_size_check(size=declared)
    except DomainError as error:  # an unbound form: the refusal is shown next to the field
        return _list_page(request, UploadForm(), status=error.http_status, refusal=error.message)
    return _upload(request)


@csrf_protect
def _upload(request):
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    try:
        run = import_run_upload(
            upload=form.cleaned_data["file"],
            program=current_program(request),
            by=request.user,
            dry_run=form.cleaned_data["dry_run"],
        )
    except DomainError as error:
        form.refused(error)
        return _list_page(request, form, status=error.http_status)
    return redirect("webhooks:import-run", pk=run.pk)


def _run(request, pk) -> ImportRun:
    return get_object_or_404(_runs(request), pk=pk)


@role_required(read="programs")
@require_GET
def import_run(request, pk):
    """A run: its progress while it runs, then its report (counts, warnings, rejections by
    file, line and code, paginated; ``?code=`` shows one code's)."""
    run = _run(request, pk)
    code = request.GET.get("code", "")
    rejections = [
        r if isinstance(r, dict) else {"text": r}
        for r in run.rejections
        if not code or _code(r) == code
    ]
    page = Paginator(rejections, REJECTIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "run": run,
        "running": run.status in RUNNING,
        "poll_seconds": POLL_SECONDS,
        "summary": rejection_summary(run.rejections),
        "code": code,
        "page": page,
        "rejections": page.object_list,
        "query": urlencode({"code": code}) if code else "",
        "flag_lines": flag_lines(run.flags) if run.flags else [],
    }
    return render(request, "webhooks/import_run.html", context)


def _code(rejection) -> str:
    return rejection.get("code", "") if isinstance(rejection, dict) else ""


@role_required(read="programs")
@require_GET
def import_run_progress(request, pk):
    """The progress bar alone (htmx polls it); once the run finished, the page reloads to show
    the report."""
    run = get_object_or_404(_runs(request), pk=pk)
    if run.status not in RUNNING and request.htmx:
        return HttpResponseClientRefresh()
    context = {"run": run, "running": run.status in RUNNING, "poll_seconds": POLL_SECONDS}
    return render(request, "webhooks/_import_progress.html", context)
