"""Programs (from the program templates of seed 002), people's enrollments in them, and
the queue of enrollments due for a recompute.

They moved here from ``enrollments`` (which keeps what is derived from them: journey flags,
attention, impact, health) so that the buddy app needs nothing above it; their tables keep
the names they were created with.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from buddy.models.base import ProgramTyped, TimeStampedModel, choices_check


class ProgramType(models.TextChoices):
    BUDDY = "buddy", "Buddy Program"
    MENTORSHIP = "mentorship", "Mentors for Ukraine"
    LANGUAGE = "language", "Language for Ukraine"
    UPSKILLING = "upskilling", "Upskilling"


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    DROPPED = "dropped", "Dropped"


class Program(TimeStampedModel):
    """A program built from a template: its roles, states, activities and impact settings.

    The four programs are created by a data migration; coordinators may tune
    them in admin.
    """

    program_type = models.CharField(max_length=20, choices=ProgramType.choices, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    roles = models.JSONField(default=list, help_text='[{"role": ..., "csr_role": ...}]')
    enrollment_states = models.JSONField(default=list)
    supports_matching = models.BooleanField(default=True)
    activity_types = models.JSONField(default=list)
    metrics_tracked = models.JSONField(default=list)
    contributes_to_vis = models.BooleanField(default=True)
    vis_components = models.JSONField(default=dict)
    contributes_to_sroi = models.BooleanField(default=True)
    sroi_dimensions = models.JSONField(default=dict)
    match_rate_target = models.FloatField(
        default=0.7, help_text="Share of participants that should have a match (0–1)."
    )
    health_settings = models.JSONField(
        default=dict,
        blank=True,
        help_text="Match-health weights and thresholds overriding settings.MATCH_HEALTH.",
    )

    class Meta:
        db_table = "enrollments_program"
        ordering = ["program_type"]
        constraints = [
            choices_check(
                "program_type", ProgramType.choices, name="enrollments_program_program_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(match_rate_target__gte=0, match_rate_target__lte=1),
                name="enrollments_program_match_rate_target_within_0_1",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Enrollment(ProgramTyped, TimeStampedModel):
    """A person's participation in one program; at most one per person and program."""

    # No index of their own: the unique (person, program) serves the person's key and
    # ``enroll_program_status`` (program, status) the program's; every status change writes
    # each index of the table (36,658 in a program's first recompute).
    person = models.ForeignKey(
        "buddy.Person", on_delete=models.CASCADE, related_name="enrollments", db_index=False
    )
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="enrollments", db_index=False
    )
    status = models.CharField(
        max_length=20, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    enrolled_at = models.DateTimeField()
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the enrollment was completed or dropped."
    )
    left_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a coordinator records that the person left."
    )

    class Meta:
        # program_id, not program: ordering by the relation would join Program on every read.
        db_table = "enrollments_enrollment"
        ordering = ["program_id", "-enrolled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "program"],
                name="enrollments_one_per_person_and_program",
                violation_error_message="This person is already enrolled in this program.",
            ),
            choices_check(
                "status", EnrollmentStatus.choices, name="enrollments_enrollment_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status"], name="enroll_program_status"),
        ]

    def __str__(self) -> str:
        return f"Enrollment #{self.pk} ({self.status})"


class EnrollmentStatusChange(models.Model):
    """One change of an enrollment's status: from, to, when and why."""

    # No index of its own: ``enroll_change_enrollment`` (enrollment, at) serves the key.
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="status_changes", db_index=False
    )
    from_status = models.CharField(max_length=20, choices=EnrollmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=EnrollmentStatus.choices)
    at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    # Indexed where set only (``enroll_change_by``): the rules' changes, nearly all of them,
    # name nobody, and a user's deletion looks up their own.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text="The coordinator whose action made the change (empty: the rules).",
    )

    class Meta:
        db_table = "enrollments_enrollmentstatuschange"
        ordering = ["enrollment_id", "at", "id"]
        indexes = [
            models.Index(fields=["enrollment", "at"], name="enroll_change_enrollment"),
            models.Index(fields=["by"], condition=Q(by__isnull=False), name="enroll_change_by"),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class PendingRecompute(models.Model):
    """A person whose enrollment in a program is due for a recompute.

    Written in the same transaction as the change that makes it due (so it commits or
    rolls back with it, and a crash after the commit loses nothing), and drained in
    batches by ``enrollments.services.enrollments_recompute_pending``: one row per
    change, no unique key, so writers never wait on each other or on a drain; the drain
    coalesces repeats.
    """

    # No indexes but the key: the table holds seconds of changes and is read in id order.
    person = models.ForeignKey(
        "buddy.Person", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+", db_index=False)
    queued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "enrollments_pendingrecompute"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Recompute person #{self.person_id} in program #{self.program_id}"
