"""Celery tasks of the enrollments app: thin, idempotent, take ids."""

from celery import shared_task

from enrollments import services
from enrollments.models import Enrollment, Program


@shared_task(acks_late=True)
def recompute_people(*, person_ids: list[int], program_id: int) -> int:
    program = Program.objects.get(pk=program_id)
    return services.enrollments_recompute(program=program, person_ids=person_ids)


@shared_task(acks_late=True)
def recompute_all_programs() -> int:
    changed = 0
    for program in Program.objects.all():
        ids = list(Enrollment.objects.filter(program=program).values_list("person_id", flat=True))
        changed += services.enrollments_recompute(program=program, person_ids=ids)
    return changed
