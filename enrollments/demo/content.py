"""What the demo is made of: the distributions it draws from and the texts it writes.

The weighted lists hold ``(value, weight)`` pairs, drawn from with ``common.weighted``.
"""

from buddy.models import EndReason

#: Participants' first language (weight) and the Faker locale for their names.
PARTICIPANT_ORIGINS = [
    ("uk", 40, "uk_UA"),
    ("ru", 10, "ru_RU"),
    ("ar", 20, "ar_AA"),
    ("fa", 14, "fa_IR"),
    ("tr", 6, "tr_TR"),
    ("ti", 5, "en_GB"),
    ("so", 5, "en_GB"),
]
BUDDY_EXTRA_LANGUAGES = ["en", "uk", "ru", "ar", "fa", "tr", "fr", "es", "pl"]
MATCH_PLANS = [  # (plan, weight); forced in this order for the first participants
    ("active", 38),
    ("ended", 24),
    ("inactive", 7),
    ("proposed", 4),
    ("accepted", 3),
    ("declined", 2),
    ("rematched", 9),
    ("waiting", 13),
]
END_REASONS = [
    (EndReason.COMPLETED, 45),
    (EndReason.MUTUAL_AGREEMENT, 12),
    (EndReason.INACTIVITY, 12),
    (EndReason.PARTICIPANT_REQUEST, 10),
    (EndReason.BUDDY_REQUEST, 10),
    (EndReason.PROGRAM_ENDED, 6),
    (EndReason.OTHER, 3),
    (EndReason.VIOLATION, 2),
]
MOODS = [("great", 20), ("good", 40), ("okay", 25), ("struggling", 10), ("difficult", 5)]
EVENT_TYPES = [("hangout", 50), ("activity", 30), ("workshop", 15), ("museum-visit", 5)]
EVENT_NOTES = [
    "Coffee and a walk along the river",
    "Visited the weekly market together",
    "Cooked dinner and practised German",
    "Went to the library to get a card",
    "Football in the park",
    "Board games evening",
]
CHECKIN_NOTES = [
    "Settling in well.",
    "Looking for a flat, stressful.",
    "Started the language course.",
    "Busy month, met once.",
    "Job interview next week.",
    "",
]
SKILLS = [  # (skill_id, name, category)
    (1, "German conversation", "language"),
    (2, "CV Writing", "professional"),
    (3, "Job interview practice", "professional"),
    (4, "Excel basics", "tech"),
    (5, "Python basics", "tech"),
    (6, "Dealing with public offices", "integration"),
    (7, "English conversation", "language"),
]
FORMAL_EVENTS = [  # (title, type, format)
    ("Welcome evening", "social", "in-person"),
    ("Intercultural cooking night", "cultural", "in-person"),
    ("Job market in Germany", "professional", "hybrid"),
    ("German café", "language", "in-person"),
    ("Housing and tenancy Q&A", "support", "online"),
    ("Summer picnic", "recreational", "in-person"),
    ("CV clinic", "educational", "online"),
    ("Museum day", "cultural", "in-person"),
]
MILESTONES = {  # key → (milestone_id, title, category, points, target role)
    "profile": (1, "Profile Complete", "onboarding", 10, "all"),
    "first_match": (2, "First Match", "buddy-connection", 50, "all"),
    "first_event": (3, "First Event", "events", 20, "all"),
    "five_checkins": (4, "Five Check-ins", "buddy-connection", 40, "participant"),
    "skill_sharer": (5, "Skill Sharer", "skills", 40, "buddy"),
    "graduate": (6, "Program Graduate", "completion", 100, "participant"),
}
