"""Coordinator pages of the enrollments app (thin over the services)."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from buddy.errors import DomainError
from enrollments.attention import attention_queue, attention_summary
from enrollments.selectors import program_by_type


def _base_template() -> str:
    """The site layout when it exists, else a minimal one of this app."""
    try:
        get_template("base.html")
        return "base.html"
    except TemplateDoesNotExist:
        return "enrollments/_layout.html"


@staff_member_required
def attention(request):
    try:
        program = program_by_type(request.GET.get("program", "buddy"))
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
