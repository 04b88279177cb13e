"""A realistic program history delivered in random orders, with sender-style retries and
duplicate deliveries, ends in exactly the database state of in-order delivery."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from buddy.models import (
    CheckIn,
    Enrollment,
    EventAttendance,
    Feedback,
    InformalEvent,
    Match,
    MatchTransition,
    MilestoneAchievement,
    Person,
    SkillSession,
)
from buddy.schemas import UserRecord
from buddy.services.people import person_record
from tests.factories import buddy_program
from tests.webhooks.conftest import deliver
from webhooks.models import EventStatus, WebhookEvent

MATCHES = 20  # 215 events per delivery order (each run recomputes enrollments per event)
MAX_ATTEMPTS = 3


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _event(event_type: str, at: datetime, data: dict) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "version": "v1",
        "timestamp": _iso(at),
        "type": event_type,
        "data": data,
    }


def build_history(seed: int) -> list[tuple]:
    """Users (imported via person_record), then per match: created, activities, feedback,
    milestone, and for most, ended. In the order things happened."""
    rng = random.Random(seed)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=320)
    items: list[tuple] = []
    for m in range(MATCHES):
        participant, buddy, match = (str(uuid.UUID(int=rng.getrandbits(128))) for _ in "pbm")
        start = base + timedelta(days=m * 5)
        for uid, role in ((participant, "participant"), (buddy, "buddy")):
            items.append(("user", UserRecord(
                id=uid, email=f"{uid[:12]}@example.org", first_name="F", last_name="L",
                role=role, joined_at=start - timedelta(days=3),
            )))  # fmt: skip
        items.append(("event", _event("buddy.match.created", start, {
            "matchId": match, "participantId": participant, "buddyId": buddy,
            "matchedAt": _iso(start), "matchingCriteria": {"language": "uk"},
        })))  # fmt: skip
        day = start
        for k in range(2):
            day += timedelta(days=3)
            items.append(("event", _event("buddy.event.logged", day, {
                "eventId": str(uuid.uuid4()), "matchId": match, "eventType": "hangout",
                "eventDate": _iso(day), "durationMinutes": 60 + k,
                "attendees": [participant, buddy],
            })))  # fmt: skip
            items.append(("event", _event("buddy.checkin.completed", day, {
                "checkinId": str(uuid.uuid4()), "matchId": match, "checkinDate": _iso(day),
                "mood": rng.choice(["great", "good", "okay", "struggling"]),
            })))  # fmt: skip
        day += timedelta(days=2)
        items.append(("event", _event("buddy.event.attended", day, {
            "eventId": str(uuid.uuid4()), "userId": participant, "matchId": match,
            "eventTitle": "Cooking night", "eventType": rng.choice(["cultural", "karaoke"]),
            "eventFormat": "in-person", "attendedAt": _iso(day), "sdgGoals": [10],
        })))  # fmt: skip
        items.append(("event", _event("buddy.skill_share.completed", day, {
            "sessionId": str(uuid.uuid4()), "skillId": 12, "skillName": "CV Writing",
            "teacherId": buddy, "learnerId": participant, "matchId": match,
            "completedAt": _iso(day), "feedback": {"learnerRating": 0.9},
        })))  # fmt: skip
        for role in ("participant", "buddy"):
            day += timedelta(days=1)
            items.append(("event", _event("buddy.feedback.submitted", day, {
                "feedbackId": str(uuid.uuid4()), "matchId": match, "fromRole": role,
                "rating": rng.choice([0.3, 0.7, 0.9]), "submittedAt": _iso(day),
            })))  # fmt: skip
        items.append(("event", _event("buddy.milestone.reached", day, {
            "milestoneId": 3, "userId": participant, "milestoneTitle": "First Match",
            "milestoneCategory": "buddy-connection", "reachedAt": _iso(day), "points": 50,
            "metadata": {"relatedEntities": [{"type": "match", "id": match}]},
        })))  # fmt: skip
        if m % 4:
            day += timedelta(days=30)
            items.append(("event", _event("buddy.match.ended", day, {
                "matchId": match, "endedAt": _iso(day),
                "endReason": rng.choice(["completed", "inactivity", "relocated"]),
            })))  # fmt: skip
    return items


def deliver_all(client, capture, items, *, rng: random.Random | None = None) -> dict:
    """Deliver like the Buddy System: a failed delivery is retried later with the same
    delivery id (up to 3 attempts); some events are sent twice under new delivery ids."""
    program = buddy_program()
    queue = [(item, str(uuid.uuid4()), 1) for item in items]
    if rng is not None:
        queue += [(item, str(uuid.uuid4()), 1) for item in rng.sample(items, 20)]
        rng.shuffle(queue)
    codes: dict[int, int] = {}
    while queue:
        (kind, body), delivery_id, attempt = queue.pop(0)
        with capture(execute=True):
            if kind == "user":
                person_record(record=body, program=program)
                continue
            code = deliver(client, body, delivery_id=delivery_id).status_code
        codes[code] = codes.get(code, 0) + 1
        assert code in (200, 202, 500), code
        if code == 500 and attempt < MAX_ATTEMPTS:
            position = len(queue) if rng is None else rng.randint(0, len(queue))
            queue.insert(position, ((kind, body), delivery_id, attempt + 1))
    return codes


def _ext(person_id: int, people: dict) -> str:
    return people.get(person_id, "")


def snapshot() -> dict:
    people = {
        p.pk: p.external_ids.get().external_id
        for p in Person.objects.prefetch_related("external_ids")
    }
    matches = {m.pk: str(m.external_id) for m in Match.objects.all()}
    return {
        "people": sorted(
            (people[p.pk], p.role, p.email, p.joined_at) for p in Person.objects.all()
        ),
        "enrollments": sorted(
            (people[e.person_id], e.status, e.enrolled_at, e.completed_at)
            for e in Enrollment.objects.all()
        ),
        "matches": sorted(
            (
                str(m.external_id),
                people[m.participant_id],
                people[m.buddy_id],
                m.status,
                m.matched_at,
                m.ended_at,
                m.end_reason,
                m.duration_days,
                m.matching_criteria,
                m.concurrent_active,
                m.source,
            )
            for m in Match.objects.all()
        ),
        "transitions": sorted(
            (matches[t.match_id], t.from_status, t.to_status, t.at, t.via, t.reason)
            for t in MatchTransition.objects.all()
        ),
        "informal": sorted(
            (
                str(e.external_id),
                matches[e.match_id],
                e.event_type,
                e.event_date,
                e.duration_minutes,
                sorted(e.attendee_ids),
                sorted(e.unknown_attendee_ids),
            )
            for e in InformalEvent.objects.all()
        ),
        "attendance": sorted(
            (
                str(a.event_external_id),
                people[a.person_id],
                matches.get(a.match_id),
                a.event_type,
                a.attended_at,
                a.sdg_goals,
            )
            for a in EventAttendance.objects.all()
        ),
        "skills": sorted(
            (
                str(s.external_id),
                people[s.teacher_id],
                people[s.learner_id],
                matches.get(s.match_id),
                s.completed_at,
                s.learner_rating,
            )
            for s in SkillSession.objects.all()
        ),
        "checkins": sorted(
            (str(c.external_id), matches[c.match_id], c.checkin_date, c.mood)
            for c in CheckIn.objects.all()
        ),
        "feedback": sorted(
            (str(f.external_id), matches[f.match_id], f.from_role, f.rating, f.submitted_at)
            for f in Feedback.objects.all()
        ),
        "milestones": sorted(
            (
                people[a.person_id],
                a.milestone_id,
                a.reached_at,
                a.points,
                sorted(a.unknown_related_ids),
            )
            for a in MilestoneAchievement.objects.all()
        ),
        "events": sorted(WebhookEvent.objects.values_list("event_id", "status")),
    }


def run(client, capture, items, rng=None) -> tuple[dict, dict]:
    with transaction.atomic():
        codes = deliver_all(client, capture, items, rng=rng)
        state = snapshot()
        transaction.set_rollback(True)
    return state, codes


#: Three random delivery orders, one test each, so ``pytest -n`` runs them side by side.
SEEDS = (1, 2, 3)
_in_order: dict = {}


def history() -> list[tuple]:
    """The program history, built once per test process (its ids are random)."""
    if "items" not in _in_order:
        _in_order["items"] = build_history(7)
    return _in_order["items"]


def in_order_state(client, capture) -> tuple[dict, dict]:
    """The end state of in-order delivery, computed once per test process: every run rolls
    back, so the reference does not depend on which test asks for it first."""
    if "state" not in _in_order:
        _in_order["state"], _in_order["codes"] = run(client, capture, history())
    return _in_order["state"], _in_order["codes"]


def test_in_order_delivery_processes_every_event(db, client, django_capture_on_commit_callbacks):
    items = history()
    events = sum(1 for kind, _ in items if kind == "event")
    assert events >= 200

    expected, in_order_codes = in_order_state(client, django_capture_on_commit_callbacks)
    assert in_order_codes == {200: events}
    assert {status for _id, status in expected["events"]} == {EventStatus.PROCESSED}
    assert len(expected["matches"]) == MATCHES
    assert sum(1 for m in expected["matches"] if m[3] == "ended") == MATCHES * 3 // 4


@pytest.mark.parametrize("seed", SEEDS)
def test_any_delivery_order_ends_in_the_in_order_state(
    seed, db, client, django_capture_on_commit_callbacks
):
    expected, _codes = in_order_state(client, django_capture_on_commit_callbacks)
    rng = random.Random(seed)
    actual, codes = run(client, django_capture_on_commit_callbacks, history(), rng)
    assert codes.get(500), "the shuffled order should have made some events wait"
    assert codes.get(202), "duplicates should have been answered 202"
    for table in expected:
        assert actual[table] == expected[table], (seed, table)
