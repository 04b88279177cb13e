"""The per-person and the set-based recompute give identical results on a varied program,
the published ``enrollment.status_changed`` events and match health included, with either
implementation of the set-based SQL (portable, PostgreSQL) and of the health facts (ORM,
PostgreSQL)."""

import json
import threading
from datetime import timedelta

import pytest

from buddy.models import Enrollment, EnrollmentStatusChange
from core.models import OutboxEvent
from enrollments.health import health_sql
from enrollments.journey import STORED_FIELDS
from enrollments.models import JourneyFlags, MatchHealth, MatchHealthWeek
from enrollments.recompute_sql import recompute_dialect
from enrollments.services import (
    enrollment_recompute,
    enrollments_recompute,
    enrollments_recompute_program,
)
from tests.enrollments.conftest import build_varied_program
from tests.factories import CheckInFactory, EnrollmentFactory, MatchFactory
from tests.seams import implementations

set_based_sql = implementations(recompute_dialect)
health_set_based = implementations(health_sql)
pytestmark = pytest.mark.usefixtures("set_based_sql", "health_set_based")


def snapshot(program):
    enrollments = {
        e.pk: (e.status, e.completed_at)
        for e in Enrollment.objects.filter(program=program).order_by("pk")
    }
    history = sorted(
        EnrollmentStatusChange.objects.filter(enrollment__program=program)
        .exclude(reason__startswith="joined")
        .values_list("enrollment_id", "from_status", "to_status", "at", "reason")
    )
    flags = {
        f.pk: {name: getattr(f, name) for name in STORED_FIELDS}
        for f in JourneyFlags.objects.filter(enrollment__program=program)
    }
    # The events of the status changes (joining events come from the factories' setup).
    events = sorted(
        json.dumps(e.data, sort_keys=True)
        for e in OutboxEvent.objects.filter(
            type="enrollment.status_changed", program_id=program.pk
        ).exclude(data__fromStatus=None)
    )
    health = {
        h.match_id: (h.score, h.band, h.parts, h.reasons, h.band_reason, h.band_since)
        for h in MatchHealth.objects.filter(program=program)
    }
    weeks = sorted(
        MatchHealthWeek.objects.filter(program=program).values_list(
            "match_id", "week", "score", "band"
        )
    )
    return enrollments, history, flags, events, health, weeks


def reset(program, initial):
    OutboxEvent.objects.filter(type="enrollment.status_changed").exclude(
        data__fromStatus=None
    ).delete()
    for pk, (status, completed_at) in initial.items():
        Enrollment.objects.filter(pk=pk).update(status=status, completed_at=completed_at)
    EnrollmentStatusChange.objects.filter(enrollment__program=program).exclude(
        reason__startswith="joined"
    ).delete()
    JourneyFlags.objects.filter(enrollment__program=program).delete()
    MatchHealth.objects.filter(program=program).delete()
    MatchHealthWeek.objects.filter(program=program).delete()


@pytest.mark.parametrize("seed", [7, 11])
def test_per_person_and_set_based_recompute_agree(program, now, seed):
    build_varied_program(program, now, seed=seed)
    initial, *_ = snapshot(program)

    for enrollment in Enrollment.objects.filter(program=program):
        enrollment_recompute(enrollment=enrollment, now=now)
    per_person = snapshot(program)

    reset(program, initial)
    changed = enrollments_recompute_program(program=program, now=now)
    set_based = snapshot(program)

    assert set_based[0] == per_person[0]
    assert set_based[1] == per_person[1]
    assert set_based[2] == per_person[2]
    assert set_based[3] == per_person[3]
    assert set_based[4] == per_person[4]  # match health (per-match and set-based facts)
    assert set_based[5] == per_person[5]
    assert changed == len(per_person[1]) == len(per_person[3]) > 0
    # The generated program really exercises the rules and flags.
    statuses = {status for status, _ in per_person[0].values()}
    assert statuses == {"active", "completed", "dropped"}
    reasons = {row[4] for row in per_person[1]}
    assert len(reasons) >= 4
    for name in ("checkin_due", "feedback_pending", "no_contact_14", "no_contact_30",
                 "struggling", "match_active"):  # fmt: skip
        values = {flags[name] for flags in per_person[2].values()}
        assert values == {True, False}, name
    # Match health is exercised too: every band, reasons of several kinds.
    health = per_person[4]
    assert {band for _, band, *_ in health.values()} == {"healthy", "watch", "at_risk"}
    assert len({reason["code"] for *_, reasons, _, _ in health.values() for reason in reasons}) >= 4


def test_subset_recompute_through_sql_matches_per_person(program, now):
    build_varied_program(program, now, seed=3)
    initial, *_ = snapshot(program)
    ids = list(Enrollment.objects.filter(program=program).values_list("person_id", flat=True))
    assert len(ids) > 20  # above the per-person limit: the set-based path runs in chunks

    enrollments_recompute(program=program, person_ids=ids, now=now)
    set_based = snapshot(program)
    reset(program, initial)
    for person_id in ids:
        enrollments_recompute(program=program, person_ids=[person_id], now=now)
    assert snapshot(program) == set_based


def test_recomputing_twice_changes_nothing(program, now):
    build_varied_program(program, now, seed=5, people=16)
    enrollments_recompute_program(program=program, now=now)
    first = snapshot(program)
    assert enrollments_recompute_program(program=program, now=now) == 0
    for enrollment in Enrollment.objects.filter(program=program):
        assert enrollment_recompute(enrollment=enrollment, now=now) is False
    assert snapshot(program) == first


def test_the_newest_moods_across_matches_and_on_one_day_agree_on_every_path(program, now):
    # A person's two newest moods come from two matches, several check-ins share a day (the
    # id decides), and a match has more moods than match health reads: the set-based
    # reads (index probes on PostgreSQL, windows elsewhere) pick the same ones.
    first = MatchFactory(program=program, matched_at=now - timedelta(days=90))
    second = MatchFactory(
        program=program, participant=first.participant, matched_at=now - timedelta(days=30)
    )
    day = now - timedelta(days=3)
    for match, mood in [(first, "great"), (second, "difficult"), (first, "struggling")]:
        CheckInFactory(match=match, checkin_date=day, mood=mood)
    for days, mood in enumerate(["good", "okay", "", "great", "good", "okay", "great", "good"]):
        CheckInFactory(match=second, checkin_date=day - timedelta(days=days + 1), mood=mood)
    CheckInFactory(match=second, checkin_date=day, mood="")
    for person in (first.participant, first.buddy, second.buddy):
        EnrollmentFactory(person=person, program=program, enrolled_at=now - timedelta(days=100))
    initial, *_ = snapshot(program)

    for enrollment in Enrollment.objects.filter(program=program):
        enrollment_recompute(enrollment=enrollment, now=now)
    per_person = snapshot(program)
    reset(program, initial)
    enrollments_recompute_program(program=program, now=now)

    assert snapshot(program) == per_person
    flags = JourneyFlags.objects.get(enrollment__person=first.participant)
    assert flags.struggling is True  # the two highest ids of that day, from two matches
    assert {h.match_id for h in MatchHealth.objects.all()} == {first.pk, second.pk}


def test_health_judged_on_a_thread_gives_what_inline_judgement_gives(program, now, monkeypatch):
    from enrollments import health

    build_varied_program(program, now, seed=7)
    initial, *_ = snapshot(program)
    enrollments_recompute_program(program=program, now=now, full=True)
    inline = snapshot(program)

    reset(program, initial)
    threads = set()
    derive = health.derive

    def spy(facts, **kwargs):
        threads.add(threading.current_thread().name)
        return derive(facts, **kwargs)

    monkeypatch.setattr(health, "derive", spy)
    monkeypatch.setattr(health, "JUDGE_ON_A_THREAD_FROM", 0)  # every run on a thread
    enrollments_recompute_program(program=program, now=now, full=True)

    assert threads == {"health-judge"}
    assert snapshot(program) == inline


def test_an_error_in_health_judged_on_a_thread_fails_the_whole_run(program, now, monkeypatch):
    from enrollments import health

    build_varied_program(program, now, seed=11, people=12)

    def broken(facts, **kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr(health, "derive", broken)
    monkeypatch.setattr(health, "JUDGE_ON_A_THREAD_FROM", 0)
    with pytest.raises(ZeroDivisionError):
        enrollments_recompute_program(program=program, now=now)
    assert not JourneyFlags.objects.filter(enrollment__program=program).exists()
    assert not MatchHealth.objects.filter(program=program).exists()
