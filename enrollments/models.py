"""What is derived from enrollments and matches: journey flags, attention snoozes, match health.

Programs and enrollments themselves live in ``buddy.models.programs``."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from buddy.models import Enrollment, Program
from buddy.models.base import choices_check
from core.fields import PersonalCharField

# Derived keys: the keys of the derived rows (journey flags, match health and its weeks)
# have no database constraint. A program's first recompute writes ~150,000 of them in one
# transaction, and PostgreSQL checks each key of each row at the commit, one statement per
# key (1.2 s of the first run's ~6 s of database CPU, bench/recompute). They are written by
# the recompute alone, from the enrollments and matches it reads in the same statement, and
# removed with them by Django's cascade (``on_delete``); a row whose enrollment or match a
# concurrent transaction removed is left behind (read by no one: every reader goes through
# the enrollment or the match) where the constraint would have failed the whole run.


class JourneyFlags(models.Model):
    """A person's journey in one program: counters and the flags coordinators act on.

    Derived data, recomputed with the enrollment (``enrollments.services``); never
    edited by hand. ``changed_at`` is when any value last changed.
    """

    # Derived rows without a database constraint ("Derived keys" above): Django's cascade
    # removes them with the enrollment.
    enrollment = models.OneToOneField(
        Enrollment,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="journey",
        db_constraint=False,
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
    due_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the status or a flag next changes with time alone, the facts as they "
        "are (empty: never); the incremental program run recomputes the enrollment from then.",
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["enrollment_id"]
        verbose_name = "journey flags"
        verbose_name_plural = "journey flags"

    def __str__(self) -> str:
        return f"Journey of enrollment #{self.enrollment_id}"


class ProgramRecomputeMark(models.Model):
    """Where a program's last program-wide recompute left off, so that the next one can
    recompute only what changed since (``enrollments.recompute_scope``): the ``now`` it
    computed for, the oldest transaction still running when it started (rows written by
    that one or a later one are new to the next run) and the settings it applied. The
    row's own ``xmin`` is the run's transaction: its own writes are not changes."""

    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    now = models.DateTimeField()
    xid_mark = models.BigIntegerField(help_text="PostgreSQL's 64-bit transaction id.")
    settings_digest = models.CharField(max_length=64)

    class Meta:
        ordering = ["program_id"]
        verbose_name = "program recompute mark"

    def __str__(self) -> str:
        return f"Recompute mark of program #{self.program_id}"


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
    """How an active match is doing: a 0–100 score, its parts and reasons (codes with their
    numbers and roles, ``enrollments.health_reasons`` renders them).

    Derived data (``enrollments.health``), kept current by the recompute queue with the
    journey flags; removed when the match stops being active. ``band_reason`` is the
    reason that moved the match into its band, ``band_since`` when it did.
    """

    # Derived rows without database constraints ("Derived keys" above). ``program``: no index of
    # its own, ``health_program_band`` (program, band) serves it.
    match = models.OneToOneField(
        "buddy.Match",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="health",
        db_constraint=False,
    )
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=10, choices=HealthBand.choices)
    parts = models.JSONField(default=dict, help_text="Part name → value 0–1.")
    reasons = models.JSONField(
        default=list, help_text='Reasons as {"code": …, parameters}, worst first.'
    )
    band_reason = models.JSONField(default=dict, blank=True)
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

    @property
    def band_reason_text(self) -> str:
        """The band's reason in the active language."""
        from enrollments.health_reasons import reason_text

        return reason_text(self.band_reason)

    @property
    def reason_texts(self) -> list[str]:
        """The reasons in the active language, worst first."""
        from enrollments.health_reasons import reason_text

        return [reason_text(r) for r in self.reasons]


class MatchHealthWeek(models.Model):
    """A match's health in one week (Monday): the last value computed that week."""

    # Derived rows without database constraints ("Derived keys" above). No indexes of their own:
    # ``health_week_one_per_match`` (match, week) serves the match's key,
    # ``health_week_program`` (program, week) the program's (a program's first recompute
    # writes a row per active match).
    match = models.ForeignKey(
        "buddy.Match",
        on_delete=models.CASCADE,
        related_name="health_weeks",
        db_index=False,
        db_constraint=False,
    )
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
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


class AttentionEntry(models.Model):
    """One item of a program's needs-attention queue, kept by the recompute
    (``enrollments.attention.attention_refresh``: the whole program nightly, the people a
    change touched after each drain) so the queue is ranked, counted, filtered and paged in
    the database. Derived data: never edited by hand. ``row`` holds the values the item is
    built of (ids, numbers, codes: no personal data), ``since`` the date its day count runs
    from (so days are of the reading day), ``fingerprint`` what a snooze compares."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=60)
    priority = models.PositiveSmallIntegerField()
    subject_type = models.CharField(max_length=30)
    subject_id = models.BigIntegerField(default=0)
    since = models.DateTimeField(null=True, blank=True)
    participant_id = models.BigIntegerField(null=True, blank=True)
    buddy_id = models.BigIntegerField(null=True, blank=True)
    row = models.JSONField(default=dict)
    fingerprint = models.CharField(max_length=64)

    class Meta:
        ordering = ["program_id", "-priority", "since", "subject_id"]
        verbose_name_plural = "attention entries"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "kind", "subject_type", "subject_id"],
                name="attention_entry_one_per_item",
            ),
        ]
        indexes = [
            models.Index(
                "program", F("priority").desc(), "since", "subject_id", name="attention_entry_rank"
            ),
            models.Index(
                fields=["program", "kind", "since", "subject_id"], name="attention_entry_kind"
            ),
            models.Index(fields=["program", "participant_id"], name="attention_entry_participant"),
            models.Index(fields=["program", "buddy_id"], name="attention_entry_buddy"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.subject_id}"


class AttentionQueueState(models.Model):
    """A program's kept attention items: when they were last refreshed whole (absent:
    never; the first read fills them), when any of them last changed (the dashboard's
    cached figures are keyed by it) and how many there are of each kind."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, primary_key=True)
    refreshed_at = models.DateTimeField()
    changed_at = models.DateTimeField()
    counts = models.JSONField(default=dict, help_text="Kind → kept items (snoozed included).")

    class Meta:
        ordering = ["program_id"]

    def __str__(self) -> str:
        return f"Attention queue of program #{self.program_id}"


class AttentionReminder(models.Model):
    """A coordinator sent the reminder of an attention item (the audit of the "Remind"
    action): one per item per day, so sending twice the same day sends nothing more."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=60)
    subject_type = models.CharField(max_length=30)
    subject_id = models.BigIntegerField()
    day = models.DateField()
    recipients = models.PositiveSmallIntegerField(help_text="How many people were emailed.")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attention_reminders",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "kind", "subject_type", "subject_id", "day"],
                name="attention_reminder_once_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.kind} #{self.subject_id} on {self.day}"
