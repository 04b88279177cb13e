"""Coordinator-facing pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from buddy.selectors import program_overview


@login_required
def home(request):
    return render(request, "buddy/home.html", {"programs": program_overview()})
