"""Demo data: a believable buddy program, built with the factories shared with the tests.

Everything is derived from a seed: people, matches and activities get uuid5 keys
from their position in the plan, so a second run finds every row it would write
and creates nothing. Reported matches (webhook, import) are written in bulk with
their audit rows; the few coordinator proposals go through the lifecycle service.
"""

import random
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import faker
from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from buddy.access import grant_role
from buddy.errors import RuleViolation
from buddy.factories import (
    CITIES,
    INTERESTS,
    BuddyFactory,
    CheckInFactory,
    CompanyFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    MilestoneAchievementFactory,
    ParticipantFactory,
    SkillSessionFactory,
    UserFactory,
    buddy_program,
)
from buddy.models import (
    AccessRole,
    CheckIn,
    Company,
    DataSource,
    EndReason,
    EventAttendance,
    ExternalId,
    Feedback,
    InformalEvent,
    Match,
    MatchStatus,
    MatchTransition,
    MilestoneAchievement,
    Person,
    Role,
    SkillSession,
    User,
)
from buddy.models.people import email_digest
from buddy.services.matches import match_propose, match_transition
from enrollments.models import Enrollment, Program
from enrollments.services import enrollment_ensure, enrollments_recompute

S = MatchStatus
NAMESPACE = uuid.UUID("6f1c3a52-7d0e-4b8e-9a43-0c5e2b7d9f11")
COORDINATOR_USERNAME = "coordinator"
#: The demo's logins, one per kind of work (``buddy.access``), all with the same password:
#: the program's coordinator, a viewer of it, and a superuser for the admin (data fixes).
DEMO_LOGINS = (
    (COORDINATOR_USERNAME, "coordinator of the demo program"),
    ("viewer", "viewer of the demo program (personal data masked)"),
    ("admin", "superuser (admin at /admin/)"),
)
#: Used under DEBUG (``make run``) so the printed login always works; never in production.
LOCAL_DEMO_PASSWORD = "coordinator-demo"  # noqa: S105
CHUNK = 2000

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


def demo_uuid(*parts) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts))


def weighted(rng: random.Random, options):
    values, weights = zip(*[(o[0], o[1]) for o in options], strict=True)
    return rng.choices(values, weights=weights)[0]


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = max(int((end - start).total_seconds()), 0)
    return start + timedelta(seconds=rng.randint(0, seconds))


def _existing(model: type[Model], field_name: str, keys: Iterable) -> set:
    """The subset of ``keys`` already stored in ``model.field_name`` (chunked ``IN``)."""
    keys, found = list(keys), set()
    for i in range(0, len(keys), CHUNK):
        found.update(
            model.objects.filter(**{f"{field_name}__in": keys[i : i + CHUNK]}).values_list(
                field_name, flat=True
            )
        )
    return found


@dataclass
class PlannedMatch:
    key: uuid.UUID | None  # the Buddy System id; None for a coordinator proposal
    participant: int  # index into the plan's participants
    buddy: int
    status: str
    source: str
    matched_at: datetime | None = None
    inactive_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str = ""


@dataclass
class DemoReport:
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    username: str = COORDINATOR_USERNAME
    password: str | None = None  # None: an existing login kept its password
    logins: tuple[tuple[str, str], ...] = DEMO_LOGINS


class DemoBuilder:
    def __init__(self, *, participants: int, buddies: int, seed: int, now: datetime):
        self.n_participants, self.n_buddies, self.seed = participants, buddies, seed
        self.now = now.replace(second=0, microsecond=0)
        self.program: Program = buddy_program()
        self.report = DemoReport()
        self.fakers: dict[str, faker.Faker] = {}
        self.new_match_keys: set[uuid.UUID] = set()

    def rng(self, *parts) -> random.Random:
        return random.Random("/".join(str(p) for p in (self.seed, *parts)))

    def fake(self, locale: str, *parts) -> faker.Faker:
        if locale not in self.fakers:
            self.fakers[locale] = faker.Faker(locale)
        fake = self.fakers[locale]
        fake.seed_instance("/".join(str(p) for p in (self.seed, *parts)))
        return fake

    # --- Companies and people -----------------------------------------------------------

    def companies(self) -> list[Company]:
        fake = self.fake("de_DE", "companies")
        names = []
        while len(names) < max(3, self.n_buddies // 12):
            name = fake.unique.company()
            names.append(name)
        fake.unique.clear()
        missing = set(names) - _existing(Company, "name", names)
        Company.objects.bulk_create([CompanyFactory.build(name=n) for n in names if n in missing])
        self.report.created["Company"] += len(missing)
        by_name = {c.name: c for c in Company.objects.filter(name__in=names)}
        return [by_name[n] for n in names]

    def _participant(self, i: int) -> Person:
        rng = self.rng("participant", i)
        language, locale = weighted(rng, [((lang, loc), w) for lang, w, loc in PARTICIPANT_ORIGINS])
        fake = self.fake(locale, "participant", i)
        languages = [language]
        if language == "uk" and rng.random() < 0.6:
            languages.append("ru")
        languages += [lang for lang in ("en", "de") if rng.random() < 0.4]
        return ParticipantFactory.build(
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            email=f"participant.{i:04d}@demo.example.org",
            joined_at=self.now - timedelta(days=rng.randint(30, 400), minutes=rng.randint(0, 900)),
            languages=languages,
            interests=rng.sample(INTERESTS, rng.randint(1, 4)),
            location=rng.choice(CITIES),
            capacity=1,
        )

    def _buddy(self, i: int, companies: list[Company]) -> Person:
        rng = self.rng("buddy", i)
        fake = self.fake("de_DE" if rng.random() < 0.8 else "en_GB", "buddy", i)
        extra = rng.sample(BUDDY_EXTRA_LANGUAGES, rng.choice([0, 1, 1, 2]))
        return BuddyFactory.build(
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            email=f"buddy.{i:04d}@demo.example.org",
            joined_at=self.now - timedelta(days=rng.randint(60, 420), minutes=rng.randint(0, 900)),
            languages=list(dict.fromkeys(["de", *extra])),
            interests=rng.sample(INTERESTS, rng.randint(2, 5)),
            location=rng.choice(CITIES),
            company=rng.choice(companies) if rng.random() < 0.85 else None,
            capacity=weighted(rng, [(1, 60), (2, 30), (3, 10)]),
        )

    def people(self, role: str, build, count: int) -> list[Person]:
        """The demo people of one role, in plan order; missing ones are created in bulk."""
        keys = [str(demo_uuid("person", role, i)) for i in range(count)]
        found = dict(
            ExternalId.objects.filter(
                provider=settings.BUDDY_PROVIDER, external_id__in=keys
            ).values_list("external_id", "person_id")
        )
        new = []
        for i, key in enumerate(keys):
            if key not in found:
                person = build(i)
                person.email_hash = email_digest(person.email)  # bulk_create skips save()
                new.append((key, person))
        Person.objects.bulk_create([p for _k, p in new])
        ExternalId.objects.bulk_create(
            ExternalId(provider=settings.BUDDY_PROVIDER, external_id=k, person=p) for k, p in new
        )
        self.report.created["Person"] += len(new)
        self.report.created["ExternalId"] += len(new)
        found.update({k: p.pk for k, p in new})
        by_pk = Person.objects.in_bulk([found[k] for k in keys])
        return [by_pk[found[k]] for k in keys]

    # --- The match plan -------------------------------------------------------------------

    def plan_matches(self, participants: list[Person], buddies: list[Person]) -> list[PlannedMatch]:
        rng = self.rng("matches", len(participants), len(buddies))
        load = [0] * len(buddies)  # open matches per buddy
        plans: list[PlannedMatch] = []

        def pick_buddy(p: Person) -> int:
            free = [b for b in range(len(buddies)) if load[b] < buddies[b].capacity]
            pool = free or list(range(len(buddies)))
            sharing = [b for b in pool if set(buddies[b].languages) & set(p.languages)]
            return rng.choice(sharing or pool)

        def reported(i, k, status, start, end=None, reason="", inactive_at=None):
            p = participants[i]
            b = pick_buddy(p)
            if status != S.ENDED:
                load[b] += 1
            plans.append(
                PlannedMatch(
                    key=demo_uuid("match", i, k),
                    participant=i,
                    buddy=b,
                    status=status,
                    source=weighted(rng, [(DataSource.WEBHOOK, 70), (DataSource.IMPORT, 30)]),
                    matched_at=start,
                    inactive_at=inactive_at,
                    ended_at=end,
                    end_reason=reason,
                )
            )

        for i, p in enumerate(participants):
            # A participant's story depends on them only, so a bigger demo keeps it.
            own = self.rng("story", i)
            kind = MATCH_PLANS[i][0] if i < len(MATCH_PLANS) else weighted(own, MATCH_PLANS)
            latest = self.now - timedelta(days=3)
            first = min(p.joined_at + timedelta(days=own.randint(3, 30)), latest)
            if kind == "active":
                reported(i, 0, S.ACTIVE, first)
            elif kind == "inactive":
                reported(i, 0, S.INACTIVE, first, inactive_at=_between(own, first, latest))
            elif kind in ("ended", "rematched"):
                end = _between(own, first + timedelta(days=1), self.now - timedelta(days=1))
                end = max(end, first)
                reported(i, 0, S.ENDED, first, end, weighted(own, END_REASONS))
                if kind == "rematched":
                    again = min(end + timedelta(days=own.randint(5, 30)), latest)
                    reported(i, 1, S.ACTIVE, max(again, end))
            elif kind in ("proposed", "accepted", "declined"):
                b = pick_buddy(p)
                if kind != "declined":
                    load[b] += 1
                plans.append(PlannedMatch(None, i, b, kind, DataSource.COORDINATOR))
        return plans

    # --- Writing matches ----------------------------------------------------------------

    def reported_matches(self, plans, participants, buddies) -> dict[uuid.UUID, Match]:
        planned = [m for m in plans if m.key is not None]
        existing = _existing(Match, "external_id", [m.key for m in planned])
        new, audit = [], []
        for m in planned:
            if m.key in existing:
                continue
            match = MatchFactory.build(
                external_id=m.key,
                program=self.program,
                participant=participants[m.participant],
                buddy=buddies[m.buddy],
                status=m.status,
                source=m.source,
                matched_at=m.matched_at,
                ended_at=m.ended_at,
                end_reason=m.end_reason,
                duration_days=(m.ended_at - m.matched_at).days if m.ended_at else None,
                matching_criteria=self._criteria(participants[m.participant], buddies[m.buddy]),
            )
            new.append(match)
            reason = "created" if m.source == DataSource.WEBHOOK else "imported"
            audit.append((match, "", S.ACTIVE, m.matched_at, m.source, reason))
            if m.inactive_at:
                audit.append((match, S.ACTIVE, S.INACTIVE, m.inactive_at, DataSource.IMPORT, ""))
            if m.ended_at:
                audit.append((match, S.ACTIVE, S.ENDED, m.ended_at, m.source, m.end_reason))
        Match.objects.bulk_create(new)
        MatchTransition.objects.bulk_create(
            MatchTransition(match=mt, from_status=f, to_status=t, at=at, via=via, reason=r)
            for mt, f, t, at, via, r in audit
        )
        self.report.created["Match"] += len(new)
        self.report.created["MatchTransition"] += len(audit)
        self.new_match_keys = {m.external_id for m in new}
        return Match.objects.select_related("participant", "buddy").in_bulk(
            [m.key for m in planned], field_name="external_id"
        )

    @staticmethod
    def _criteria(participant: Person, buddy: Person) -> dict:
        shared = [lang for lang in participant.languages if lang in buddy.languages]
        common = [i for i in participant.interests if i in buddy.interests]
        criteria: dict = {"location": participant.location}
        if shared:
            criteria["language"] = shared[0]
        if common:
            criteria["interests"] = common
        return criteria

    def coordinator_proposals(self, plans, participants, buddies, coordinator: User) -> None:
        """A few matches made here, through the lifecycle service like any coordinator's."""
        for m in plans:
            if m.key is not None:
                continue
            participant, buddy = participants[m.participant], buddies[m.buddy]
            # A participant's coordinator match is seeded once (a bigger second run may
            # pick another buddy for them; the one-match rule would refuse a second).
            if Match.objects.filter(
                program=self.program, participant=participant, source=DataSource.COORDINATOR
            ).exists():
                continue
            try:
                match = match_propose(
                    program=self.program,
                    participant=participant,
                    buddy=buddy,
                    via=DataSource.COORDINATOR,
                    by=coordinator,
                    criteria=self._criteria(participant, buddy),
                )
            except RuleViolation:
                continue  # the buddy's places are taken: the participant stays waiting
            self.report.created["Match"] += 1
            self.report.created["MatchTransition"] += 1
            if m.status != S.PROPOSED:
                match_transition(
                    match=match,
                    to_status=m.status,
                    via=DataSource.COORDINATOR,
                    by=coordinator,
                    reason="demo",
                )
                self.report.created["MatchTransition"] += 1

    # --- Activities ------------------------------------------------------------------------

    def activities(self, plans, matches: dict[uuid.UUID, Match]) -> dict[str, list]:
        """A year of activity for each match created in this run (a match already stored
        keeps the activity it has)."""
        rows: dict[str, list] = defaultdict(list)
        for plan in plans:
            if plan.key not in self.new_match_keys:
                continue
            match = matches[plan.key]
            rng = self.rng("activity", plan.key)
            start = plan.matched_at
            end = plan.ended_at or plan.inactive_at or self.now
            days = max((end - start).days, 1)
            p_uuid = demo_uuid("person", Role.PARTICIPANT, plan.participant)
            b_uuid = demo_uuid("person", Role.BUDDY, plan.buddy)
            early_end = plan.end_reason not in ("", EndReason.COMPLETED, EndReason.PROGRAM_ENDED)

            for k in range(min(12, int(days / 30 * rng.uniform(0.4, 1.6)) + rng.randint(0, 1))):
                rows["InformalEvent"].append(
                    InformalEventFactory.build(
                        external_id=demo_uuid("event", plan.key, k),
                        match=match,
                        event_type=weighted(rng, EVENT_TYPES),
                        event_date=_between(rng, start, end),
                        description=rng.choice(EVENT_NOTES),
                        location=match.participant.location,
                        duration_minutes=rng.choice([60, 90, 120, 180]),
                        attendee_ids=[str(p_uuid), str(b_uuid)],
                        source=plan.source,
                    )
                )
            checkins = [start + timedelta(days=30 * (k + 1)) for k in range(days // 30)]
            for k, at in enumerate(checkins[:12]):
                mood = weighted(rng, MOODS[2:] if early_end and k >= 1 else MOODS)
                rows["CheckIn"].append(
                    CheckInFactory.build(
                        external_id=demo_uuid("checkin", plan.key, k),
                        match=match,
                        checkin_date=at,
                        mood=mood,
                        notes=rng.choice(CHECKIN_NOTES),
                        question_responses={"contact_frequency": rng.choice(["weekly", "monthly"])},
                        source=plan.source,
                    )
                )
            for k in range(min(4, days // 45)):
                skill_id, name, category = rng.choice(SKILLS)
                rows["SkillSession"].append(
                    SkillSessionFactory.build(
                        external_id=demo_uuid("skill", plan.key, k),
                        match=match,
                        teacher=match.buddy,
                        learner=match.participant,
                        skill_id=skill_id,
                        skill_name=name,
                        skill_category=category,
                        completed_at=_between(rng, start, end),
                        duration_minutes=rng.choice([45, 60, 90]),
                        format=rng.choice(["online", "in-person"]),
                        proficiency_level=rng.choice(["beginner", "intermediate"]),
                        teacher_rating=round(rng.uniform(0.6, 1.0), 2),
                        learner_rating=round(rng.uniform(0.5, 1.0), 2)
                        if rng.random() < 0.5
                        else None,
                        learner_progress=rng.choice(["some-progress", "good-progress"]),
                        sdg_goals=[4, 8] if category != "language" else [4, 10],
                        valuation_points=rng.choice([10, 20, 30]),
                        source=plan.source,
                    )
                )
            rows["Feedback"] += self._feedback(plan, match, rng, early_end)
        return rows

    def _feedback(self, plan, match, rng, early_end) -> list[Feedback]:
        moments = []
        if plan.ended_at:
            moments = [("participant", plan.ended_at), ("buddy", plan.ended_at)]
        elif (self.now - plan.matched_at).days > 60 and rng.random() < 0.7:
            moments = [("participant", plan.matched_at + timedelta(days=60))]
        low, high = (0.1, 0.6) if early_end else (0.6, 1.0)
        return [
            FeedbackFactory.build(
                external_id=demo_uuid("feedback", plan.key, role),
                match=match,
                from_role=role,
                rating=round(rng.uniform(low, high), 2),
                submitted_at=min(at, self.now),
                communication=round(rng.uniform(low, high), 2),
                helpfulness=round(rng.uniform(low, high), 2) if rng.random() < 0.6 else None,
                engagement=round(rng.uniform(low, high), 2) if rng.random() < 0.6 else None,
                feedback_text="",
                source=plan.source,
            )
            for role, at in moments
        ]

    def attendances(self, people: list[Person], active_match: dict[int, Match]) -> list:
        rng = self.rng("formal-events", len(people))
        rows = []
        for n in range(12):
            title, event_type, event_format = FORMAL_EVENTS[n % len(FORMAL_EVENTS)]
            at = self.now - timedelta(days=15 + 30 * n, hours=rng.randint(0, 6))
            eligible = [p for p in people if p.joined_at < at]
            for person in rng.sample(eligible, int(len(eligible) * rng.uniform(0.05, 0.15))):
                rows.append(
                    EventAttendanceFactory.build(
                        event_external_id=demo_uuid("formal-event", n),
                        person=person,
                        match=active_match.get(person.pk),
                        event_title=title,
                        event_type=event_type,
                        event_format=event_format,
                        attended_at=at,
                        duration_minutes=120,
                        attendee_count=rng.randint(15, 60),
                        sdg_goals=[10, 11],
                        source=DataSource.WEBHOOK,
                    )
                )
        return rows

    def milestones(self, people, matches, rows, attendances) -> list[MilestoneAchievement]:
        reached: dict[tuple[str, int], datetime] = {}

        def reach(key: str, person_id: int, at: datetime) -> None:
            if (key, person_id) not in reached or at < reached[(key, person_id)]:
                reached[(key, person_id)] = at

        for person in people:
            reach("profile", person.pk, person.joined_at + timedelta(days=1))
        for match in matches:
            if match.matched_at:
                for pid in (match.participant_id, match.buddy_id):
                    reach("first_match", pid, match.matched_at)
            if match.end_reason == EndReason.COMPLETED:
                reach("graduate", match.participant_id, match.ended_at)
        for attendance in attendances:
            reach("first_event", attendance.person_id, attendance.attended_at)
        for session in rows["SkillSession"]:
            reach("skill_sharer", session.teacher_id, session.completed_at)
        by_match = defaultdict(list)
        for checkin in rows["CheckIn"]:
            by_match[checkin.match_id].append(checkin)
        participant_of = {m.pk: m.participant_id for m in matches}
        for match_id, checkins in by_match.items():
            if len(checkins) >= 5:
                fifth = sorted(c.checkin_date for c in checkins)[4]
                reach("five_checkins", participant_of[match_id], fifth)
        person_by_pk = {p.pk: p for p in people}
        result = []
        for (key, person_id), at in sorted(reached.items(), key=lambda item: item[0]):
            milestone_id, title, category, points, target = MILESTONES[key]
            result.append(
                MilestoneAchievementFactory.build(
                    milestone_id=milestone_id,
                    person=person_by_pk[person_id],
                    milestone_title=title,
                    milestone_category=category,
                    reached_at=at,
                    points=points,
                    badge_icon=f"badge-{key.replace('_', '-')}",
                    target_role=target,
                    progress={"is_first_time": True},
                    source=DataSource.WEBHOOK,
                )
            )
        return result

    def save_missing(self, model: type[Model], rows: list, key_field: str = "external_id") -> None:
        existing = _existing(model, key_field, [getattr(r, key_field) for r in rows])
        new = [r for r in rows if getattr(r, key_field) not in existing]
        model.objects.bulk_create(new, batch_size=500)
        self.report.created[model.__name__] += len(new)

    def save_missing_pairs(self, model, rows, first: str, second: str) -> None:
        """Rows keyed by two columns (attendance per event and person, milestone per person)."""
        people = {getattr(r, second) for r in rows}
        existing = set()
        for chunk in _chunks(sorted(people)):
            existing.update(
                model.objects.filter(**{f"{second}__in": chunk}).values_list(first, second)
            )
        new = [r for r in rows if (getattr(r, first), getattr(r, second)) not in existing]
        model.objects.bulk_create(new, batch_size=500)
        self.report.created[model.__name__] += len(new)

    # --- Logins and enrollments ---------------------------------------------------------

    def logins(self, password: str | None) -> User:
        """The demo's logins (``DEMO_LOGINS``) with their roles; returns the coordinator."""
        existing = User.objects.filter(username=COORDINATOR_USERNAME).exists()
        if password is None and (not existing or settings.DEBUG):
            password = LOCAL_DEMO_PASSWORD if settings.DEBUG else secrets.token_urlsafe(12)
        users = {}
        for username, _what in DEMO_LOGINS:
            superuser = username == "admin"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = UserFactory(
                    username=username,
                    is_staff=superuser,
                    is_superuser=superuser,
                    password=password or secrets.token_urlsafe(12),
                )
                self.report.created["User"] += 1
            else:
                user.is_active = True
                if password is not None:
                    user.set_password(password)
                user.save()
            users[username] = user
        grant_role(user=users["coordinator"], role=AccessRole.COORDINATOR, programs=[self.program])
        grant_role(user=users["viewer"], role=AccessRole.VIEWER, programs=[self.program])
        self.report.password = password
        return users["coordinator"]

    def enroll(self, people: list[Person]) -> None:
        enrolled = set(
            Enrollment.objects.filter(program=self.program).values_list("person_id", flat=True)
        )
        for person in people:
            if person.pk not in enrolled:
                enrollment_ensure(
                    person=person,
                    program=self.program,
                    enrolled_at=person.joined_at,
                    via=DataSource.IMPORT,
                )
                self.report.created["Enrollment"] += 1
        enrollments_recompute(program=self.program, person_ids=[p.pk for p in people])

    # --- Everything -------------------------------------------------------------------------

    def build(self, *, password: str | None) -> DemoReport:
        user = self.logins(password)
        companies = self.companies()
        participants = self.people(Role.PARTICIPANT, self._participant, self.n_participants)
        buddies = self.people(Role.BUDDY, lambda i: self._buddy(i, companies), self.n_buddies)
        plans = self.plan_matches(participants, buddies)
        matches = self.reported_matches(plans, participants, buddies)
        self.coordinator_proposals(plans, participants, buddies, user)
        rows = self.activities(plans, matches)
        for model in (InformalEvent, CheckIn, SkillSession, Feedback):
            self.save_missing(model, rows[model.__name__])
        people = participants + buddies
        active = {m.participant_id: m for m in matches.values() if m.status == S.ACTIVE}
        attendances = self.attendances(people, active)
        self.save_missing_pairs(EventAttendance, attendances, "event_external_id", "person_id")
        milestones = self.milestones(people, list(matches.values()), rows, attendances)
        self.save_missing_pairs(MilestoneAchievement, milestones, "milestone_id", "person_id")
        self.enroll(people)
        return self.report


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def seed_demo(
    *,
    participants: int = 300,
    buddies: int = 200,
    seed: int = 7,
    password: str | None = None,
    now: datetime | None = None,
) -> DemoReport:
    """Build (or complete) the demo program in one transaction; return what was created.

    Row keys depend on positions only (``participant 12``, ``match 12/0``), not on the
    seed: the seed only varies the content, so the demo never exists twice.
    """
    if participants < 1 or buddies < 1:
        raise ValueError("the demo needs at least one participant and one buddy")
    builder = DemoBuilder(
        participants=participants, buddies=buddies, seed=seed, now=now or timezone.now()
    )
    with transaction.atomic():
        return builder.build(password=password)
