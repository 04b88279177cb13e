"""A person with a row of every kind that can name them, each free text unique."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from buddy.models import (
    EnrollmentStatusChange,
    ImportRun,
    MatchTransition,
    PendingRecompute,
    Person,
)
from enrollments.models import JourneyFlags
from matching.models import MatchingCriteria, Proposal, RecommendationRun
from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    CompanyFactory,
    EnrollmentFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    MilestoneAchievementFactory,
    ParticipantFactory,
    PersonFactory,
    SkillSessionFactory,
    WebhookEventFactory,
    buddy_program,
)


@dataclass
class Subject:
    person: Person
    buddy: Person
    buddy_system_id: str
    event_id: object
    import_run: ImportRun


def make_subject() -> Subject:
    program = buddy_program()
    now = timezone.now()
    company = CompanyFactory(name="Umbrella")
    person = ParticipantFactory(first_name="Oksana-7731", last_name="Shevchenko-7731")
    buddy = BuddyFactory(company=company, first_name="Bernd-4410", last_name="Buddy-4410")
    buddy_system_id = PersonFactory.buddy_uuid(person)
    enrollment = EnrollmentFactory(person=person, program=program)
    EnrollmentFactory(person=buddy, program=program)
    EnrollmentStatusChange.objects.create(
        enrollment=enrollment, to_status="active", at=now, reason="joined"
    )
    JourneyFlags.objects.create(enrollment=enrollment, joined_at=now, changed_at=now)
    PendingRecompute.objects.create(person=person, program=program)
    match = MatchFactory(
        program=program, participant=person, buddy=buddy, ended=True, end_note="End-note-7731"
    )
    MatchTransition.objects.create(
        match=match, to_status="ended", at=now, via="webhook", reason="completed"
    )
    MatchTransition.objects.create(
        match=match, to_status="inactive", at=now, via="coordinator", reason="pause",
        note="Transition-note-7731",
    )  # fmt: skip
    CheckInFactory(
        match=match, notes="Checkin-notes-7731", question_responses={"q1": "Answer-7731"}
    )
    FeedbackFactory(match=match, feedback_text="Feedback-text-7731", rating=0.7)
    InformalEventFactory(match=match, description="Event-description-7731")
    EventAttendanceFactory(person=person, organizer="Umbrella", duration_minutes=90)
    EventAttendanceFactory(person=buddy, organizer="umbrella ", duration_minutes=60)
    SkillSessionFactory(
        match=match,
        teacher=buddy,
        learner=person,
        teacher_comment="Teacher-comment-4410",
        learner_comment="Learner-comment-7731",
    )
    MilestoneAchievementFactory(person=person)
    criteria = MatchingCriteria.objects.create(program=program, version=1)
    waiting = ParticipantFactory(first_name="Waiting-8820")
    run = RecommendationRun.objects.create(
        program=program,
        criteria=criteria,
        unmatched_count=2,
        unmatched=[  # "why not matched" (matching.engine.explain): one entry per participant
            {
                "participant_id": person.pk,
                "code": "no_candidates",
                "text": "no buddy lives in Kyiv-7731: 3 excluded by the location must-rule",
                "excluded": {"location": 3},
                "relaxations": [{"text": "allowing Kyiv-7731 nearby adds 3", "adds": 3}],
            },
            {
                "participant_id": waiting.pk,
                "code": "taken",
                "text": "Waiting-text-8820",
                "excluded": {},
                "relaxations": [],
            },
        ],
    )
    Proposal.objects.create(
        run=run,
        program=program,
        participant=person,
        buddy=buddy,
        score=80,
        match=match,
        status="dismissed",
        dismissal_reason="Dismissal-reason-7731",
    )
    event = WebhookEventFactory(
        match_id=match.external_id,
        event_type="buddy.feedback.submitted",
        payload={
            "type": "buddy.feedback.submitted",
            "data": {"feedbackText": "Feedback-text-7731"},
        },
    )
    WebhookEventFactory(
        user_id=buddy_system_id,
        match_id=None,
        event_type="buddy.milestone.reached",
        payload={"data": {"userId": buddy_system_id, "note": "Oksana-7731 did it"}},
    )
    from concerns.services import concern_open

    concern_open(
        program=program,
        category="communication",
        severity="low",
        match=match,
        person=person,
        description="Concern-text-7731 about missed meetings",
    )
    concern_open(  # about the match only: names both people (``involved``), not ``person``
        program=program,
        category="reliability",
        severity="low",
        match=match,
        description="Match-concern-7731 late twice",
    )
    concern_open(  # restricted (safeguarding): its content only for those allowed
        program=program,
        category="safeguarding",
        severity="high",
        person=person,
        description="Safeguarding-text-7731",
    )
    run_ = ImportRun.objects.create(
        program=program,
        file_name="export.zip",
        merges=[f"users.csv:3: user {buddy_system_id} merged into person #{person.pk}"],
        rejections=["users.csv:9: user other-id rejected"],
    )
    # Someone else's rows, never part of the person's data.
    ParticipantFactory(first_name="Stranger-9999")
    CheckInFactory(notes="Stranger-notes-9999")
    _ = timedelta
    return Subject(person, buddy, buddy_system_id, event.event_id, run_)


@pytest.fixture
def subject(db) -> Subject:
    return make_subject()
