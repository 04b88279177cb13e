"""Celery tasks of the enrollments app: thin, idempotent, take ids."""

from celery import shared_task

from enrollments import services
from enrollments.models import Program


@shared_task(acks_late=True)
def recompute_people(*, person_ids: list[int], program_id: int) -> int:
    """Enqueued on commit by every buddy service that changes these people's data."""
    program = Program.objects.get(pk=program_id)
    return services.enrollments_recompute(program=program, person_ids=person_ids)


@shared_task(acks_late=True)
def recompute_all_programs() -> int:
    """Nightly (beat): flags and states age with time, so every program is recomputed."""
    return sum(
        services.enrollments_recompute_program(program=program) for program in Program.objects.all()
    )


@shared_task(acks_late=True)
def send_attention_digest() -> int:
    """Weekly (beat): the attention queue by email to staff coordinators."""
    from enrollments.digest import attention_digest_send

    return attention_digest_send()
