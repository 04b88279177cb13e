"""Celery tasks of the enrollments app: thin, idempotent, take ids."""

from celery import shared_task
from django.db import transaction

from buddy.models import Program
from enrollments import services

#: Batches one drain task takes before it leaves the rest to the next request or sweep.
DRAIN_MAX_BATCHES = 20


@shared_task(acks_late=True)
def recompute_pending() -> int:
    """Drain the recompute queue: requested after the commits that fill it, and swept by
    beat every minute (a request lost with a crashed process is picked up there)."""
    drained = 0
    for _ in range(DRAIN_MAX_BATCHES):
        batch = services.enrollments_recompute_pending()
        drained += batch
        if batch < services.DRAIN_BATCH:
            break
    return drained


@shared_task(acks_late=True)
def recompute_people(*, person_ids: list[int], program_id: int) -> int:
    """Recompute these people now (operators, scripts); the services queue theirs
    (``recompute_pending``)."""
    program = Program.objects.get(pk=program_id)
    return services.enrollments_recompute(program=program, person_ids=person_ids)


@shared_task(acks_late=True)
def recompute_all_programs() -> int:
    """Nightly (beat): flags, states and match health age with time, so every program is
    recomputed (and what the apps above run after it: the automatic case suggestions)."""
    changed = 0
    for program in Program.objects.all():
        changed += services.enrollments_recompute_program(program=program)
        with transaction.atomic():
            services.after_recompute(program=program)
    return changed


@shared_task(acks_late=True, ignore_result=True)
def dashboard_warm(*, program_id: int) -> bool:
    """Cache a program's dashboard figures for its current state (requested after each
    recompute's commit: ``attention.dashboard_warm_step``)."""
    from enrollments.selectors import dashboard_figures_warm

    program = Program.objects.filter(pk=program_id).first()
    return program is not None and dashboard_figures_warm(program=program)


@shared_task(acks_late=True)
def send_attention_digest() -> int:
    """Weekly (beat): the attention queue by email to staff coordinators."""
    from enrollments.digest import attention_digest_send

    return attention_digest_send()
