"""``seed_demo`` builds a believable program once; running it again creates nothing."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from buddy.models import (
    CheckIn,
    DataSource,
    Enrollment,
    EventAttendance,
    Feedback,
    InformalEvent,
    Match,
    MatchStatus,
    MilestoneAchievement,
    Person,
    SkillSession,
    User,
)

pytestmark = pytest.mark.django_db
SMALL = {"participants": 16, "buddies": 10}


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **{**SMALL, **options})
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def test_it_creates_matches_in_every_status(program):
    seed()
    assert set(Match.objects.values_list("status", flat=True)) == set(MatchStatus.values)
    ended = Match.objects.ended()
    assert ended.exclude(end_reason="").count() == ended.count()


def test_it_creates_the_requested_people_and_a_year_of_activity(program):
    seed()
    assert Person.objects.filter(role="participant").count() == SMALL["participants"]
    assert Person.objects.filter(role="buddy").count() == SMALL["buddies"]
    for model in (InformalEvent, EventAttendance, SkillSession, CheckIn, Feedback):
        assert model.objects.exists(), model.__name__
    assert MilestoneAchievement.objects.exists()
    assert len(set(CheckIn.objects.values_list("mood", flat=True))) > 1


def test_everybody_is_enrolled_and_enrollments_follow_the_matches(program):
    seed()
    assert Enrollment.objects.filter(program=program).count() == Person.objects.count()
    assert Enrollment.objects.exclude(status="active").exists()  # ended-only people move on


def test_every_status_change_is_in_the_audit_trail(program):
    seed()
    for match in Match.objects.prefetch_related("transitions"):
        assert match.transitions.all(), match.pk
        assert list(match.transitions.all())[-1].to_status == match.status


def test_app_made_matches_are_coordinator_proposals_through_the_service(program):
    seed()
    coordinator = User.objects.get(username="coordinator")
    made_here = Match.objects.filter(source=DataSource.COORDINATOR)
    assert made_here.exists()
    assert set(made_here.values_list("status", flat=True)) <= {"proposed", "accepted", "declined"}
    for match in made_here:
        assert match.external_id is None
        assert {t.actor for t in match.transitions.all()} == {coordinator}


def test_a_second_run_creates_nothing(program):
    seed()
    before = row_counts()
    output = seed()
    assert row_counts() == before
    assert "nothing new" in output


def test_it_prints_working_coordinator_viewer_and_admin_logins(program):
    from buddy.access import access_for

    output = seed(password="demo-pass-123")
    coordinator, viewer, admin = (User.objects.get(username=n) for n in DEMO_USERNAMES)
    assert access_for(coordinator).role == "coordinator"
    assert access_for(coordinator).program_ids == {program.pk}
    assert access_for(viewer).role == "viewer" and access_for(viewer).masked
    assert admin.is_superuser and not coordinator.is_staff
    for user in (coordinator, viewer, admin):
        assert user.check_password("demo-pass-123")
        assert repr(user.username) in output
    assert "demo-pass-123" in output


DEMO_USERNAMES = ("coordinator", "viewer", "admin")


def test_without_debug_a_new_login_gets_a_random_password_and_keeps_it(program, settings):
    settings.DEBUG = False
    first = seed()
    user = User.objects.get(username="coordinator")
    password = first.split("password '")[1].split("'")[0]
    assert user.check_password(password)
    second = seed()
    assert "password unchanged" in second
    user.refresh_from_db()
    assert user.check_password(password)


def test_seeded_demo_data_does_not_clash_with_existing_people(program):
    from tests.factories import MatchFactory

    MatchFactory()
    seed()
    assert Person.objects.count() == SMALL["participants"] + SMALL["buddies"] + 2


def test_a_bigger_second_run_only_adds_the_new_people(program):
    seed()
    seed(participants=SMALL["participants"] + 4, buddies=SMALL["buddies"] + 2)
    assert Person.objects.count() == SMALL["participants"] + 4 + SMALL["buddies"] + 2
    assert Enrollment.objects.count() == Person.objects.count()
