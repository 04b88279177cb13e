"""Everything that happens in a program: informal events, formal event attendance,
skill-exchange sessions, check-ins, feedback and milestones.

Each row keeps the Buddy System's key (``external_id`` or the contract's composite
key) so that webhooks and imports upsert instead of duplicating.
"""

from django.db import models
from django.db.models import Q

from buddy.models.base import TimeStampedModel, choices_check, rating_check, sdg_check
from buddy.models.choices import (
    DataSource,
    EventFormat,
    FeedbackRole,
    FormalEventType,
    LearnerProgress,
    MilestoneCategory,
    Mood,
    ProficiencyLevel,
    TargetRole,
)
from core.fields import PersonalCharField, PersonalTextField


class PersonalJSONField(models.JSONField):
    """A JSON object whose values may be free text written by a person."""

    contains_personal_data = True


class Activity(TimeStampedModel):
    source = models.CharField(max_length=20, choices=DataSource.choices)

    class Meta:
        abstract = True


class InformalEvent(Activity):
    """An informal social activity of a match (hangout, activity, workshop, …)."""

    external_id = models.UUIDField(unique=True)
    # db_index=False on a key that leads one of ``Meta.indexes``: that index serves its reads
    # (and the cascades), so a second index of the key alone would only be written (issue 23)
    match = models.ForeignKey(
        "buddy.Match", on_delete=models.CASCADE, related_name="events", db_index=False
    )
    event_type = models.SlugField(
        max_length=60, help_text="Known: hangout, activity, workshop; new values are kept."
    )
    event_date = models.DateTimeField()
    description = PersonalTextField(blank=True)
    location = models.CharField(max_length=200, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    attendee_ids = models.JSONField(
        default=list, blank=True, help_text="Buddy System user ids (weak references)."
    )
    unknown_attendee_ids = models.JSONField(
        default=list, blank=True, help_text="Attendee ids that matched no known person."
    )

    class Meta:
        ordering = ["-event_date"]
        verbose_name = "informal event"
        constraints = [choices_check("source", DataSource.choices)]
        indexes = [models.Index(fields=["match", "event_date"], name="buddy_event_match_date")]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk}"


class EventAttendance(Activity):
    """A person's attendance at a formal program event."""

    event_external_id = models.UUIDField(help_text="The Buddy System's id of the formal event.")
    person = models.ForeignKey(
        "buddy.Person", on_delete=models.CASCADE, related_name="attendances", db_index=False
    )
    match = models.ForeignKey(
        "buddy.Match",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attendances",
        db_index=False,
    )
    event_title = models.CharField(max_length=300)
    event_type = models.CharField(max_length=20, choices=FormalEventType.choices)
    event_format = models.CharField(max_length=20, choices=EventFormat.choices)
    attended_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    attendee_count = models.PositiveIntegerField(null=True, blank=True)
    organizer = PersonalCharField(max_length=200, blank=True)
    categories = models.JSONField(default=list, blank=True)
    sdg_goals = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-attended_at"]
        verbose_name = "event attendance"
        constraints = [
            models.UniqueConstraint(
                fields=["event_external_id", "person"],
                name="buddy_attendance_once_per_event",
                violation_error_message="This person's attendance is already recorded.",
            ),
            choices_check("event_type", FormalEventType.choices),
            choices_check("event_format", EventFormat.choices),
            choices_check("source", DataSource.choices),
            sdg_check(),
        ]
        indexes = [
            models.Index(fields=["person", "attended_at"], name="buddy_attend_person_date"),
            models.Index(fields=["match", "attended_at"], name="buddy_attend_match_date"),
        ]

    def __str__(self) -> str:
        return f"Attendance #{self.pk}"


class SkillSession(Activity):
    """A skill-exchange session: a teacher helped a learner with one skill."""

    external_id = models.UUIDField(unique=True)
    skill_id = models.PositiveIntegerField()
    skill_name = models.CharField(max_length=200)
    skill_category = models.CharField(max_length=60, blank=True)
    teacher = models.ForeignKey(
        "buddy.Person", on_delete=models.CASCADE, related_name="sessions_taught", db_index=False
    )
    learner = models.ForeignKey(
        "buddy.Person", on_delete=models.CASCADE, related_name="sessions_learned", db_index=False
    )
    match = models.ForeignKey(
        "buddy.Match",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="skill_sessions",
        db_index=False,
    )
    completed_at = models.DateTimeField()
    scheduled_at = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    format = models.CharField(max_length=20, choices=EventFormat.choices, blank=True)
    proficiency_level = models.CharField(
        max_length=20, choices=ProficiencyLevel.choices, blank=True
    )
    teacher_rating = models.FloatField(null=True, blank=True)
    learner_rating = models.FloatField(null=True, blank=True)
    teacher_comment = PersonalTextField(blank=True)
    learner_comment = PersonalTextField(blank=True)
    learner_progress = models.CharField(max_length=30, choices=LearnerProgress.choices, blank=True)
    sdg_goals = models.JSONField(default=list, blank=True)
    valuation_points = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-completed_at"]
        verbose_name = "skill session"
        constraints = [
            rating_check("teacher_rating", nullable=True),
            rating_check("learner_rating", nullable=True),
            choices_check("format", EventFormat.choices, blank=True),
            choices_check("proficiency_level", ProficiencyLevel.choices, blank=True),
            choices_check("learner_progress", LearnerProgress.choices, blank=True),
            choices_check("source", DataSource.choices),
            sdg_check(),
        ]
        indexes = [
            models.Index(fields=["teacher", "completed_at"], name="buddy_skill_teacher_date"),
            models.Index(fields=["learner", "completed_at"], name="buddy_skill_learner_date"),
            models.Index(fields=["match", "completed_at"], name="buddy_skill_match_date"),
        ]

    def __str__(self) -> str:
        return f"Skill session #{self.pk}"


class CheckIn(Activity):
    """A wellness and progress check-in of a match, with the mood reported."""

    external_id = models.UUIDField(unique=True)
    match = models.ForeignKey(
        "buddy.Match", on_delete=models.CASCADE, related_name="checkins", db_index=False
    )
    checkin_date = models.DateTimeField()
    mood = models.CharField(max_length=20, choices=Mood.choices, blank=True)
    notes = PersonalTextField(blank=True)
    question_responses = PersonalJSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-checkin_date"]
        verbose_name = "check-in"
        constraints = [
            choices_check("mood", Mood.choices, blank=True),
            choices_check("source", DataSource.choices),
        ]
        indexes = [
            # Covering (PostgreSQL): the newest/oldest moods per match in index order, read
            # without the table (journey recompute, impact mood trend).
            models.Index(
                fields=["match", "checkin_date", "id"],
                include=["mood"],
                name="buddy_checkin_match_mood",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in #{self.pk}"


class Feedback(Activity):
    """A rating of a match by its participant or its buddy (0–1, optional categories)."""

    external_id = models.UUIDField(unique=True)
    match = models.ForeignKey(
        "buddy.Match", on_delete=models.CASCADE, related_name="feedback", db_index=False
    )
    from_role = models.CharField(max_length=20, choices=FeedbackRole.choices)
    rating = models.FloatField()
    feedback_text = PersonalTextField(blank=True)
    submitted_at = models.DateTimeField()
    communication = models.FloatField(null=True, blank=True)
    helpfulness = models.FloatField(null=True, blank=True)
    engagement = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name_plural = "feedback"
        constraints = [
            rating_check("rating"),
            rating_check("communication", nullable=True),
            rating_check("helpfulness", nullable=True),
            rating_check("engagement", nullable=True),
            choices_check("from_role", FeedbackRole.choices),
            choices_check("source", DataSource.choices),
        ]
        indexes = [
            models.Index(fields=["match", "submitted_at"], name="buddy_feedback_match_date"),
            models.Index(fields=["submitted_at", "rating"], name="buddy_feedback_date_rating"),
        ]

    def __str__(self) -> str:
        return f"Feedback #{self.pk}"


class MilestoneAchievement(Activity):
    """A milestone (badge) a person reached."""

    milestone_id = models.PositiveIntegerField(help_text="The milestone definition's id.")
    person = models.ForeignKey(
        "buddy.Person", on_delete=models.CASCADE, related_name="milestones", db_index=False
    )
    milestone_title = models.CharField(max_length=200)
    milestone_category = models.CharField(max_length=30, choices=MilestoneCategory.choices)
    reached_at = models.DateTimeField()
    points = models.PositiveIntegerField()
    badge_icon = models.CharField(max_length=100, blank=True)
    target_role = models.CharField(max_length=20, choices=TargetRole.choices, blank=True)
    progress = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    unknown_related_ids = models.JSONField(
        default=list, blank=True, help_text="Related entity ids that matched nothing known."
    )

    class Meta:
        ordering = ["-reached_at"]
        verbose_name = "milestone achievement"
        constraints = [
            models.UniqueConstraint(
                fields=["milestone_id", "person", "reached_at"],
                name="buddy_milestone_once",
                violation_error_message="This milestone is already recorded for this person.",
            ),
            choices_check("milestone_category", MilestoneCategory.choices),
            choices_check("target_role", TargetRole.choices, blank=True),
            choices_check("source", DataSource.choices),
            models.CheckConstraint(
                condition=Q(points__gte=0), name="buddy_milestone_points_non_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["person", "reached_at"], name="buddy_milestone_person_date"),
        ]

    def __str__(self) -> str:
        return f"Milestone {self.milestone_id} #{self.pk}"
