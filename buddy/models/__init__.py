"""Models of the buddy app, split by topic; import them from ``buddy.models``."""

from buddy.models.access import AccessRole, ApiToken, RoleGrant
from buddy.models.access_log import AccessKind, AccessLogEntry
from buddy.models.activities import (
    CheckIn,
    EventAttendance,
    Feedback,
    InformalEvent,
    MilestoneAchievement,
    SkillSession,
)
from buddy.models.choices import (
    DataSource,
    EndReason,
    EventFormat,
    FeedbackRole,
    FormalEventType,
    LearnerProgress,
    MatchStatus,
    MilestoneCategory,
    Mood,
    ProficiencyLevel,
    Role,
    TargetRole,
)
from buddy.models.imports import ImportedSection, ImportRun, ImportStatus
from buddy.models.matches import Match, MatchTransition
from buddy.models.people import Company, ExternalId, Person
from buddy.models.programs import (
    Enrollment,
    EnrollmentStatus,
    EnrollmentStatusChange,
    PendingRecompute,
    Program,
    ProgramType,
)
from buddy.models.users import User

__all__ = [
    "AccessKind",
    "AccessLogEntry",
    "AccessRole",
    "ApiToken",
    "CheckIn",
    "Company",
    "DataSource",
    "EndReason",
    "Enrollment",
    "EnrollmentStatus",
    "EnrollmentStatusChange",
    "EventAttendance",
    "EventFormat",
    "ExternalId",
    "Feedback",
    "FeedbackRole",
    "FormalEventType",
    "ImportRun",
    "ImportStatus",
    "ImportedSection",
    "InformalEvent",
    "LearnerProgress",
    "Match",
    "MatchStatus",
    "MatchTransition",
    "MilestoneAchievement",
    "MilestoneCategory",
    "Mood",
    "PendingRecompute",
    "Person",
    "ProficiencyLevel",
    "Program",
    "ProgramType",
    "Role",
    "RoleGrant",
    "SkillSession",
    "TargetRole",
    "User",
]
