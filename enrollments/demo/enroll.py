"""Everybody in the demo is enrolled (through the enrollments service), then recomputed."""

from buddy.models import DataSource, Enrollment, Person
from buddy.services.enrollments import enrollment_ensure
from enrollments.services import enrollments_recompute

from .common import Demo


def enroll(demo: Demo, people: list[Person]) -> None:
    enrolled = set(
        Enrollment.objects.filter(program=demo.program).values_list("person_id", flat=True)
    )
    for person in people:
        if person.pk not in enrolled:
            enrollment_ensure(
                person=person,
                program=demo.program,
                enrolled_at=person.joined_at,
                via=DataSource.IMPORT,
            )
            demo.created("Enrollment", 1)
    enrollments_recompute(program=demo.program, person_ids=[p.pk for p in people])
