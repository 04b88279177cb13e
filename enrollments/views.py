"""Coordinator pages of the enrollments app (thin over the services)."""

from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from buddy.access import access_for, role_required
from buddy.errors import DomainError
from enrollments.attention import attention_queue, attention_summary
from enrollments.selectors import program_in_scope


def _base_template() -> str:
    """The site layout when it exists, else a minimal one of this app."""
    try:
        get_template("base.html")
        return "base.html"
    except TemplateDoesNotExist:
        return "enrollments/_layout.html"


@role_required(read="programs")
def attention(request):
    try:
        program = program_in_scope(request.GET.get("program"), access_for(request.user))
    except DomainError as error:
        return render(
            request,
            "enrollments/attention.html",
            {"base_template": _base_template(), "error": error},
            status=400,
        )
    items = attention_queue(program=program)
    return render(
        request,
        "enrollments/attention.html",
        {
            "base_template": _base_template(),
            "program": program,
            "items": items,
            "summary": attention_summary(items),
        },
    )
