"""The assignment solvers load only in a process that assigns: every other process (web,
import, worker tasks) starts without OR-Tools and scipy (~130 MB each)."""

import subprocess
import sys

SETUP_THEN_LIST = (
    "import os, sys, django;"
    "os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.base';"
    "django.setup();"
    "import django.urls; django.urls.get_resolver().url_patterns;"
    "print(sorted(m for m in ('scipy', 'ortools') if m in sys.modules))"
)


def test_starting_the_app_loads_no_assignment_solver():
    out = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", SETUP_THEN_LIST],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    assert out.strip().splitlines()[-1] == "[]"
