"""Matches (a participant paired with a buddy in a program) and their audit trail."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from buddy.models.base import ProgramTyped, TimeStampedModel, choices_check
from buddy.models.choices import DataSource, EndReason, MatchStatus
from core.fields import PersonalTextField

S = MatchStatus

#: The match lifecycle: every allowed move, in one place. ``buddy.services.matches``
#: is the only writer of ``Match.status`` and refuses any move not listed here.
#: The longest note a coordinator may give when ending a match (API and page).
END_NOTE_MAX_LENGTH = 2000

MATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.ACCEPTED, S.DECLINED, S.ACTIVE, S.ENDED}),
    S.ACCEPTED: frozenset({S.ACTIVE, S.ENDED}),
    S.ACTIVE: frozenset({S.INACTIVE, S.ENDED}),
    S.INACTIVE: frozenset({S.ACTIVE, S.ENDED}),
    S.ENDED: frozenset(),
    S.DECLINED: frozenset(),
}

#: Statuses in which a match still binds its participant and buddy.
OPEN_STATUSES = (S.PROPOSED, S.ACCEPTED, S.ACTIVE, S.INACTIVE)

#: Statuses that take one of the buddy's places and bind the participant: a buddy's load is
#: their count (below ``capacity``), and a participant with one is not waiting for a match.
BINDING_STATUSES = (S.PROPOSED, S.ACCEPTED, S.ACTIVE)

#: Matches made in this app: a participant may have only one active such match per program.
APP_SOURCES = (DataSource.COORDINATOR, DataSource.RECOMMENDATION)


class MatchQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=S.ACTIVE)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def ended(self):
        return self.filter(status=S.ENDED)

    def involving(self, person):
        return self.filter(Q(participant=person) | Q(buddy=person))


class Match(ProgramTyped, TimeStampedModel):
    """A participant paired with a buddy in a program.

    Matches arrive from the Buddy System (webhook, import) or are made here
    (coordinator, recommendation). Status changes go through
    ``buddy.services.matches`` so that each one lands in ``MatchTransition``.
    """

    external_id = models.UUIDField(
        null=True, blank=True, unique=True, help_text="The Buddy System's match id."
    )
    program = models.ForeignKey("buddy.Program", on_delete=models.PROTECT, related_name="matches")
    participant = models.ForeignKey(
        "buddy.Person", on_delete=models.PROTECT, related_name="matches_as_participant"
    )
    buddy = models.ForeignKey(
        "buddy.Person", on_delete=models.PROTECT, related_name="matches_as_buddy"
    )
    status = models.CharField(max_length=20, choices=MatchStatus.choices, default=S.PROPOSED)
    matched_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=30, choices=EndReason.choices, blank=True)
    end_note = PersonalTextField(blank=True, help_text="The coordinator's note on the ending.")
    participant_accepted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the participant accepted (or a coordinator for them).",
    )
    buddy_accepted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the buddy accepted (or a coordinator for them)."
    )
    duration_days = models.PositiveIntegerField(null=True, blank=True)
    sessions_completed = models.PositiveIntegerField(null=True, blank=True)
    events_attended = models.PositiveIntegerField(null=True, blank=True)
    matching_criteria = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=20, choices=DataSource.choices)
    concurrent_active = models.BooleanField(
        default=False,
        help_text=(
            "Set when the Buddy System reported this match active while the participant "
            "already had another active match in the program; for a coordinator to review."
        ),
    )

    objects = MatchQuerySet.as_manager()

    class Meta:
        ordering = ["-matched_at", "-id"]
        verbose_name_plural = "matches"
        constraints = [
            choices_check("status", MatchStatus.choices),
            choices_check("end_reason", EndReason.choices, blank=True),
            choices_check("source", DataSource.choices),
            models.CheckConstraint(
                condition=~Q(participant=F("buddy")),
                name="buddy_match_two_people",
                violation_error_message="A match pairs two different people.",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True)
                | Q(matched_at__isnull=True)
                | Q(ended_at__gte=F("matched_at")),
                name="buddy_match_ends_after_start",
                violation_error_message="A match cannot end before it started.",
            ),
            models.UniqueConstraint(
                fields=["program", "participant"],
                condition=Q(status=S.ACTIVE, source__in=APP_SOURCES),
                name="buddy_match_one_active_app_match",
                violation_error_message=(
                    "This participant already has an active match in this program."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["participant", "status"], name="buddy_match_participant"),
            models.Index(fields=["buddy", "status"], name="buddy_match_buddy"),
            models.Index(fields=["program", "status", "matched_at"], name="buddy_match_program"),
            # the lists' order (Meta.ordering) within a program: a page of the API's and the
            # UI's match lists reads its 50 rows from here instead of sorting the program's
            # matches (top-N sort of 100,000 rows: ~130 ms; bench/README.md, API)
            models.Index(
                fields=["program", "-matched_at", "-id"], name="buddy_match_program_order"
            ),
        ]

    def __str__(self) -> str:
        return f"Match #{self.pk} ({self.status})"


class MatchTransition(models.Model):
    """One status change of a match: who or what moved it, when, from, to and why."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=MatchStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=MatchStatus.choices)
    at = models.DateTimeField(db_index=True)
    via = models.CharField(
        max_length=20, choices=DataSource.choices, help_text="The entry point that moved it."
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="match_transitions",
    )
    reason = models.CharField(
        max_length=200,
        blank=True,
        help_text="What moved it, as a code the system writes (an action, an end reason, "
        "'imported'); never what a person typed.",
    )
    note = PersonalTextField(
        max_length=END_NOTE_MAX_LENGTH,
        blank=True,
        help_text="What the coordinator wrote with the change (personal data: masked for "
        "viewers, erased with the person).",
    )

    class Meta:
        # match_id, not match: ordering by the relation would join Match for its own ordering.
        ordering = ["match_id", "at", "id"]
        indexes = [models.Index(fields=["match", "at"], name="buddy_transition_match")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"
