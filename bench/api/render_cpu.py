"""CPU of rendering one 50-row API page in-process (issue 18's lean list representation):
the list serializers of matches, people and enrollments, row by row (DRF's ``ListSerializer``
over the row serializer: what the API did before) and lean (``LeanListSerializer``: what it
does now), next to the bench's trivial reference (3 fields of 50 companies), as a
coordinator and as a viewer (masked).

    DATABASE_URL=postgres://…/buddy_bench_ui_api .venv/bin/python bench/api/render_cpu.py

The page's rows are read once (the database is not measured); each figure is the
``time.process_time`` of ``--renders`` (200) renders of the page, per render."""

import argparse
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def _per_render(render, renders: int) -> float:
    render()  # warm: field construction caches
    started = time.process_time()
    for _ in range(renders):
        render()
    return (time.process_time() - started) * 1000 / renders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=200)
    args = parser.parse_args()
    import django

    django.setup()
    from django.db.models import Prefetch
    from rest_framework import serializers

    from bench.api.urls import ReferenceSerializer
    from buddy.access import grant_role
    from buddy.api.serializers import MatchSerializer, PersonSerializer
    from buddy.models import (
        AccessRole,
        Company,
        Enrollment,
        ExternalId,
        Match,
        Person,
        Program,
        User,
    )
    from enrollments.api.serializers import EnrollmentSerializer

    buddy = Program.objects.get(program_type="buddy")
    logins = {}
    for login, role in (("coordinator", AccessRole.COORDINATOR), ("viewer", AccessRole.VIEWER)):
        logins[login], _ = User.objects.get_or_create(username=f"bench-api-{login}")
        grant_role(user=logins[login], role=role, programs=[buddy])
    pages = {
        "matches": (
            MatchSerializer,
            list(Match.objects.prefetch_related("program").order_by("-matched_at", "-id")[:50]),
        ),
        "people": (
            PersonSerializer,
            list(
                Person.objects.select_related("company")
                .prefetch_related(
                    Prefetch(
                        "external_ids",
                        queryset=ExternalId.objects.order_by("provider", "external_id"),
                    )
                )
                .order_by("id")[:50]
            ),
        ),
        "enrollments": (
            EnrollmentSerializer,
            list(Enrollment.objects.prefetch_related("program").order_by("id")[:50]),
        ),
    }
    reference = list(Company.objects.order_by("id")[:50])
    ref_ms = _per_render(lambda: ReferenceSerializer(reference, many=True).data, args.renders)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.renders} renders per figure")
    print(f"reference (3 fields, 50 rows): {ref_ms:.2f} ms")
    print("| page (50 rows) | login | row by row ms | lean ms | × reference (row / lean) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for label, (serializer, rows) in pages.items():
        for login, user in logins.items():
            context = {"request": SimpleNamespace(user=user)}
            old = serializers.ListSerializer(child=serializer(), context=context)
            assert old.to_representation(rows) == serializer(rows, many=True, context=context).data
            row_ms = _per_render(lambda: old.to_representation(rows), args.renders)  # noqa: B023
            lean_ms = _per_render(
                lambda: serializer(rows, many=True, context=context).data,  # noqa: B023
                args.renders,
            )
            print(
                f"| {label} | {login} | {row_ms:.2f} | {lean_ms:.2f} | "
                f"{row_ms / ref_ms:.2f} / {lean_ms / ref_ms:.2f} |"
            )


if __name__ == "__main__":
    main()
