"""Concerns and disputes handled as cases (issue 21).

A ``Concern`` is raised about a match or a person; it moves open → acknowledged → in
mediation → resolved through ``concerns.services`` only, and every step is a
``ConcernStep`` (the audit trail: who, when, from, to; no free text). Mediation meetings
(``ConcernMeeting``) hold notes and agreed actions. Free text is personal data
(``PersonalTextField``): masking and erasure find it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buddy.models.base import TimeStampedModel, choices_check
from buddy.models.choices import EndReason
from core.fields import PersonalTextField


class Category(models.TextChoices):
    COMMUNICATION = "communication", _("Communication")
    RELIABILITY = "reliability", _("Reliability / no-shows")
    BOUNDARIES = "boundaries", _("Boundaries")
    CULTURAL = "cultural", _("Cultural misunderstanding")
    SAFEGUARDING = "safeguarding", _("Safeguarding")
    DISCRIMINATION = "discrimination", _("Discrimination or harassment")
    OTHER = "other", _("Other")


#: Categories whose content only coordinators with the ``safeguarding`` permission (and
#: superusers) see; everyone else sees that a restricted case exists.
RESTRICTED = (Category.SAFEGUARDING, Category.DISCRIMINATION)


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_MEDIATION = "in_mediation", _("In mediation")
    RESOLVED = "resolved", _("Resolved")


class Outcome(models.TextChoices):
    CONTINUES = "continues", _("Match continues")
    REMATCH = "rematch", _("Rematch")
    MATCH_ENDED = "match_ended", _("Match ended")
    ESCALATED = "escalated", _("Escalated outside the program")


class Source(models.TextChoices):
    COORDINATOR = "coordinator", _("Raised by a coordinator")
    PARTICIPANT_REPORT = "participant_report", _("Reported by the participant")
    BUDDY_REPORT = "buddy_report", _("Reported by the buddy")
    AUTOMATIC = "automatic", _("Suggested automatically")


class Concern(TimeStampedModel):
    """A case about a match or a person, with its workflow state and outcome."""

    program = models.ForeignKey("buddy.Program", on_delete=models.PROTECT, related_name="concerns")
    match = models.ForeignKey(
        "buddy.Match", on_delete=models.CASCADE, null=True, blank=True, related_name="concerns"
    )
    person = models.ForeignKey(
        "buddy.Person",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="concerns",
        help_text="The person the case is about (when not about a match).",
    )
    involved = models.ManyToManyField("buddy.Person", blank=True, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(max_length=20, choices=Source.choices)
    trigger = models.CharField(
        max_length=60,
        blank=True,
        help_text="Automatic suggestions: the rule and its subject (one case per trigger).",
    )
    description = PersonalTextField(blank=True)
    opened_at = models.DateTimeField()
    respond_by = models.DateTimeField(help_text="The response-time target of the severity.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    end_reason = models.CharField(
        max_length=30, choices=EndReason.choices, blank=True, help_text="Outcome match ended."
    )
    violation = models.BooleanField(
        default=False, help_text="The case found a violation: the two are never paired again."
    )
    resolution_note = PersonalTextField(blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        permissions = [
            ("safeguarding", "Can see safeguarding and discrimination cases"),
        ]
        constraints = [
            choices_check("category", Category.choices),
            choices_check("severity", Severity.choices),
            choices_check("status", Status.choices),
            choices_check("source", Source.choices),
            models.CheckConstraint(
                condition=Q(match__isnull=False) | Q(person__isnull=False),
                name="concerns_concern_about_match_or_person",
                violation_error_message="A concern is about a match or a person.",
            ),
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_at__isnull=False) & ~Q(outcome="")
                | (~Q(status="resolved") & Q(outcome="")),
                name="concerns_concern_resolved_has_outcome",
                violation_error_message="A resolved concern has an outcome; only it has one.",
            ),
            models.UniqueConstraint(
                fields=["trigger"],
                condition=~Q(trigger=""),
                name="concerns_concern_one_per_trigger",
                violation_error_message="This rule already suggested a case for it.",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status"], name="concern_program_status"),
            models.Index(fields=["match"], name="concern_match"),
        ]

    def __str__(self) -> str:
        return f"Concern #{self.pk} ({self.category}, {self.status})"

    @property
    def restricted(self) -> bool:
        return self.category in RESTRICTED


class ConcernMeeting(TimeStampedModel):
    """A mediation meeting of a case: when, notes and the actions agreed."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="meetings")
    held_at = models.DateTimeField()
    notes = PersonalTextField(blank=True)
    agreed_actions = PersonalTextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["concern_id", "held_at", "id"]

    def __str__(self) -> str:
        return f"Meeting #{self.pk} of concern #{self.concern_id}"


class ConcernStep(models.Model):
    """One step of a case (the audit trail): action, from, to, who, when; no free text."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True, help_text="Codes and ids only.")

    class Meta:
        ordering = ["concern_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status or '∅'} → {self.to_status}"
