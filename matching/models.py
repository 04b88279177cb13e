"""Match recommendations: versioned criteria per program, recommendation runs, proposals.

A run is a draft: its proposals become matches only when a coordinator accepts them
(``matching.services``), and every run records the exact criteria version it used.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from buddy.models.base import ProgramTyped, TimeStampedModel, choices_check
from core.fields import PersonalCharField, PersonEntriesJSONField


class CriterionRule(models.TextChoices):
    MUST = "must", "Must"
    PREFER = "prefer", "Prefer (weighted)"
    OFF = "off", "Off"


class MatchingCriteria(models.Model):
    """One version of a program's matching settings; never edited in place.

    ``criteria`` maps each criterion of ``matching.engine.criteria.REGISTRY`` to
    ``{"rule": "must"|"prefer"|"off", "weight": <number>}`` (criteria added to the
    registry later default to their registry setting). Saving new settings writes a
    new version (``matching.services.criteria_save``), so a run's version always
    says exactly what it used.
    """

    program = models.ForeignKey(
        "buddy.Program", on_delete=models.CASCADE, related_name="matching_criteria"
    )
    version = models.PositiveIntegerField()
    criteria = models.JSONField(default=dict, help_text="Per criterion: rule and weight.")
    score_floor = models.FloatField(
        default=0, help_text="Pairs scoring below this (0–100) are never proposed."
    )
    coverage_first = models.BooleanField(
        default=False,
        help_text="Match as many participants as possible first, then the highest total score.",
    )
    never_repair_any = models.BooleanField(
        "never re-pair any earlier pair",
        default=False,
        help_text="Never propose two people who had any earlier match (a violation always "
        "excludes the pair).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["program_id", "-version"]
        verbose_name = "matching criteria version"
        verbose_name_plural = "matching criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "version"],
                name="matching_criteria_one_version_number",
                violation_error_message="This program already has this criteria version.",
            ),
            models.CheckConstraint(
                condition=Q(score_floor__gte=0, score_floor__lte=100),
                name="matching_criteria_floor_within_0_100",
                violation_error_message="The score floor is between 0 and 100.",
            ),
        ]

    def __str__(self) -> str:
        return f"Criteria v{self.version} of program #{self.program_id}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RecommendationRun(TimeStampedModel):
    """A program-wide recommendation run: the criteria it used, its figures, its proposals.

    ``unmatched`` holds, for every waiting participant left without a proposal, the
    reason computed from the data (``matching.engine.explain``).
    """

    program = models.ForeignKey(
        "buddy.Program", on_delete=models.PROTECT, related_name="recommendation_runs"
    )
    criteria = models.ForeignKey(MatchingCriteria, on_delete=models.PROTECT, related_name="runs")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    coverage_first = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Milliseconds per phase.")
    participants_waiting = models.PositiveIntegerField(default=0)
    buddies_available = models.PositiveIntegerField(default=0)
    eligible_pairs = models.PositiveBigIntegerField(default=0)
    proposals_count = models.PositiveIntegerField(default=0)
    unmatched_count = models.PositiveIntegerField(default=0)
    total_score = models.FloatField(default=0)
    unmatched = PersonEntriesJSONField(  # names people: privacy.graph exports and erases it
        # "city": a parameter of an explanation's messages (matching/engine/words.py)
        default=list,
        blank=True,
        person_key="participant_id",
        text_keys=("text", "city"),
    )
    error_code = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "recommendation run"
        constraints = [
            choices_check("status", RunStatus.choices),
            models.CheckConstraint(
                condition=Q(progress__lte=100),
                name="matching_run_progress_percent",
                violation_error_message="Progress is a percentage.",
            ),
        ]
        indexes = [models.Index(fields=["program", "-created_at"], name="matching_run_program")]

    def __str__(self) -> str:
        return f"Recommendation run #{self.pk} ({self.status})"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


class Proposal(ProgramTyped, TimeStampedModel):
    """A suggested pair of a run, with its score, its parts and the reasons in words.

    Accepting creates a ``proposed`` match through ``buddy.services.matches``;
    a dismissed pair is never proposed again in the program; a locked proposal is
    carried unchanged into the program's next runs.
    """

    run = models.ForeignKey(RecommendationRun, on_delete=models.CASCADE, related_name="proposals")
    program = models.ForeignKey("buddy.Program", on_delete=models.PROTECT, related_name="proposals")
    participant = models.ForeignKey(
        "buddy.Person", on_delete=models.CASCADE, related_name="proposals_as_participant"
    )
    buddy = models.ForeignKey(
        "buddy.Person", on_delete=models.CASCADE, related_name="proposals_as_buddy"
    )
    score = models.FloatField(help_text="0–100.")
    parts = models.JSONField(default=dict, help_text="Points per criterion.")
    reasons = models.JSONField(default=list, help_text="The reasons in English words (the API's).")
    reason_codes = models.JSONField(
        default=list,
        blank=True,
        help_text="The same reasons as messages (code and parameters, matching/engine/words.py): "
        "the pages put them into the reader's language. Empty for proposals stored before.",
    )
    status = models.CharField(
        max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    locked = models.BooleanField(
        default=False, help_text="Kept as it is by the program's next runs."
    )
    dismissal_reason = PersonalCharField(
        max_length=200,
        blank=True,
        help_text="Why the coordinator dismissed it, as they wrote it (personal data).",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    match = models.OneToOneField(
        "buddy.Match",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposal",
    )

    class Meta:
        ordering = ["run_id", "-score", "id"]
        constraints = [
            choices_check("status", ProposalStatus.choices),
            models.UniqueConstraint(
                fields=["run", "participant"],
                name="matching_proposal_one_per_participant_and_run",
                violation_error_message="A run proposes one buddy per participant.",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100),
                name="matching_proposal_score_within_0_100",
                violation_error_message="A score is between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=~Q(status=ProposalStatus.DISMISSED) | ~Q(dismissal_reason=""),
                name="matching_proposal_dismissal_has_reason",
                violation_error_message="A dismissal needs a reason.",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status"], name="matching_proposal_program"),
        ]

    def __str__(self) -> str:
        return f"Proposal #{self.pk} ({self.status})"
