"""Enumerations of the Buddy System contract (``docs/buddy-system/WEBHOOKS.md``).

``DRIFT_TO_OTHER`` names the enums whose unknown values are stored as ``other``
with a warning; every other enum refuses unknown values.
"""

from django.db import models


class Role(models.TextChoices):
    PARTICIPANT = "participant", "Participant"
    BUDDY = "buddy", "Buddy"


class DataSource(models.TextChoices):
    """Where a row came from."""

    WEBHOOK = "webhook", "Buddy System webhook"
    IMPORT = "import", "Buddy System export"
    COORDINATOR = "coordinator", "Coordinator"
    RECOMMENDATION = "recommendation", "Recommendation"
    SYSTEM = "system", "Automatic rule"


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    ENDED = "ended", "Ended"
    DECLINED = "declined", "Declined"


class EndReason(models.TextChoices):
    COMPLETED = "completed", "Completed"
    PARTICIPANT_REQUEST = "participant_request", "Participant request"
    BUDDY_REQUEST = "buddy_request", "Buddy request"
    MUTUAL_AGREEMENT = "mutual_agreement", "Mutual agreement"
    INACTIVITY = "inactivity", "Inactivity"
    VIOLATION = "violation", "Violation"
    PROGRAM_ENDED = "program_ended", "Program ended"
    OTHER = "other", "Other"


class InformalEventType:
    """Informal event types are open slugs; these are the ones known today."""

    KNOWN = ("hangout", "activity", "workshop")


class FormalEventType(models.TextChoices):
    CULTURAL = "cultural", "Cultural"
    EDUCATIONAL = "educational", "Educational"
    PROFESSIONAL = "professional", "Professional"
    SOCIAL = "social", "Social"
    SUPPORT = "support", "Support"
    RECREATIONAL = "recreational", "Recreational"
    LANGUAGE = "language", "Language"
    OTHER = "other", "Other"


class EventFormat(models.TextChoices):
    IN_PERSON = "in-person", "In person"
    ONLINE = "online", "Online"
    HYBRID = "hybrid", "Hybrid"


class ProficiencyLevel(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


class LearnerProgress(models.TextChoices):
    NO_PROGRESS = "no-progress", "No progress"
    SOME_PROGRESS = "some-progress", "Some progress"
    GOOD_PROGRESS = "good-progress", "Good progress"
    EXCELLENT_PROGRESS = "excellent-progress", "Excellent progress"


class Mood(models.TextChoices):
    GREAT = "great", "Great"
    GOOD = "good", "Good"
    OKAY = "okay", "Okay"
    STRUGGLING = "struggling", "Struggling"
    DIFFICULT = "difficult", "Difficult"


class FeedbackRole(models.TextChoices):
    PARTICIPANT = "participant", "Participant"
    BUDDY = "buddy", "Buddy"


class MilestoneCategory(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    CULTURAL = "cultural", "Cultural"
    LANGUAGE = "language", "Language"
    COMMUNITY = "community", "Community"
    PROFESSIONAL = "professional", "Professional"
    SKILLS = "skills", "Skills"
    EVENTS = "events", "Events"
    BUDDY_CONNECTION = "buddy-connection", "Buddy connection"
    IMPACT = "impact", "Impact"
    COMPLETION = "completion", "Completion"
    OTHER = "other", "Other"


class TargetRole(models.TextChoices):
    PARTICIPANT = "participant", "Participant"
    BUDDY = "buddy", "Buddy"
    ALL = "all", "All"


#: Enums whose unknown values are stored as ``other`` (and counted as drift).
DRIFT_TO_OTHER = (EndReason, FormalEventType, MilestoneCategory)
