"""Programs (from the program templates of seed 002) and people's enrollments in them."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from buddy.fields import PersonalCharField
from buddy.models.base import TimeStampedModel, choices_check


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
        ordering = ["program_type"]
        constraints = [
            choices_check("program_type", ProgramType.choices),
            models.CheckConstraint(
                condition=Q(match_rate_target__gte=0, match_rate_target__lte=1),
                name="enrollments_program_match_rate_target_within_0_1",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Enrollment(TimeStampedModel):
    """A person's participation in one program; at most one per person and program."""

    person = models.ForeignKey("buddy.Person", on_delete=models.CASCADE, related_name="enrollments")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrollments")
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
        ordering = ["program_id", "-enrolled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "program"],
                name="enrollments_one_per_person_and_program",
                violation_error_message="This person is already enrolled in this program.",
            ),
            choices_check("status", EnrollmentStatus.choices),
        ]
        indexes = [
            models.Index(fields=["program", "status"], name="enroll_program_status"),
        ]

    def __str__(self) -> str:
        return f"Enrollment #{self.pk} ({self.status})"


class EnrollmentStatusChange(models.Model):
    """One change of an enrollment's status: from, to, when and why."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=EnrollmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=EnrollmentStatus.choices)
    at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The coordinator whose action made the change (empty: the rules).",
    )

    class Meta:
        ordering = ["enrollment_id", "at", "id"]
        indexes = [models.Index(fields=["enrollment", "at"], name="enroll_change_enrollment")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class JourneyFlags(models.Model):
    """A person's journey in one program: counters and the flags coordinators act on.

    Derived data, recomputed with the enrollment (``enrollments.services``); never
    edited by hand. ``changed_at`` is when any value last changed.
    """

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.CASCADE, primary_key=True, related_name="journey"
    )
    matches_count = models.PositiveIntegerField(default=0)
    events_count = models.PositiveIntegerField(
        default=0, help_text="Informal events of their matches plus formal events attended."
    )
    checkins_count = models.PositiveIntegerField(default=0)
    skill_sessions_count = models.PositiveIntegerField(default=0)
    milestones_count = models.PositiveIntegerField(default=0)
    match_active = models.BooleanField(default=False)
    joined_at = models.DateTimeField()
    last_activity_at = models.DateTimeField(null=True, blank=True)
    checkin_due = models.BooleanField(default=False)
    feedback_pending = models.BooleanField(default=False)
    no_contact_14 = models.BooleanField(default=False)
    no_contact_30 = models.BooleanField(default=False)
    struggling = models.BooleanField(default=False)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["enrollment_id"]
        verbose_name = "journey flags"
        verbose_name_plural = "journey flags"

    def __str__(self) -> str:
        return f"Journey of enrollment #{self.enrollment_id}"


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
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Recompute person #{self.person_id} in program #{self.program_id}"


class AttentionSnooze(models.Model):
    """A coordinator handled an item of the attention queue: it leaves the queue until
    ``until`` (inclusive) or until the item changes (its ``fingerprint``, see
    ``enrollments.attention.item_fingerprint``), whichever comes first."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="snoozes")
    kind = models.CharField(max_length=60)
    subject_type = models.CharField(max_length=30)
    subject_id = models.BigIntegerField(default=0, help_text="0: the item names no row.")
    fingerprint = models.CharField(max_length=64)
    until = models.DateField()
    note = PersonalCharField(max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attention_snoozes",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program_id", "until", "id"]
        verbose_name = "attention snooze"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "kind", "subject_type", "subject_id"],
                name="enrollments_snooze_one_per_item",
                violation_error_message="This item is already snoozed.",
            ),
        ]
        indexes = [models.Index(fields=["program", "until"], name="enroll_snooze_program_until")]

    def __str__(self) -> str:
        return f"Snooze {self.kind} #{self.subject_id} until {self.until}"


class HealthBand(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    WATCH = "watch", "Watch"
    AT_RISK = "at_risk", "At risk"


class MatchHealth(models.Model):
    """How an active match is doing: a 0–100 score, its parts and reasons in words.

    Derived data (``enrollments.health``), kept current by the recompute queue with the
    journey flags; removed when the match stops being active. ``band_reason`` is the
    reason that moved the match into its band, ``band_since`` when it did.
    """

    match = models.OneToOneField(
        "buddy.Match", on_delete=models.CASCADE, primary_key=True, related_name="health"
    )
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=10, choices=HealthBand.choices)
    parts = models.JSONField(default=dict, help_text="Part name → value 0–1.")
    reasons = models.JSONField(default=list, help_text="Reasons in words, worst first.")
    band_reason = models.CharField(max_length=200, blank=True)
    band_since = models.DateTimeField()
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["match_id"]
        verbose_name_plural = "match health"
        constraints = [
            choices_check("band", HealthBand.choices),
            models.CheckConstraint(
                condition=Q(score__lte=100), name="enrollments_matchhealth_score_0_100"
            ),
        ]
        indexes = [models.Index(fields=["program", "band"], name="health_program_band")]

    def __str__(self) -> str:
        return f"Health of match #{self.match_id}: {self.score}"


class MatchHealthWeek(models.Model):
    """A match's health in one week (Monday): the last value computed that week."""

    match = models.ForeignKey("buddy.Match", on_delete=models.CASCADE, related_name="health_weeks")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday of the week.")
    score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=10, choices=HealthBand.choices)

    class Meta:
        ordering = ["match_id", "week"]
        constraints = [
            models.UniqueConstraint(fields=["match", "week"], name="health_week_one_per_match"),
        ]
        indexes = [models.Index(fields=["program", "week"], name="health_week_program")]

    def __str__(self) -> str:
        return f"Match #{self.match_id} week {self.week}: {self.score}"
