"""Every buddy admin page loads for staff, and changelists do not query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from buddy.models import (
    CheckIn,
    Company,
    EventAttendance,
    ExternalId,
    Feedback,
    InformalEvent,
    Match,
    MatchTransition,
    MilestoneAchievement,
    Person,
    SkillSession,
    User,
)
from buddy.services.matches import match_end
from tests.factories import (
    CheckInFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    MilestoneAchievementFactory,
    SkillSessionFactory,
)

pytestmark = pytest.mark.django_db

MODELS = [
    Company,
    Person,
    ExternalId,
    Match,
    MatchTransition,
    InformalEvent,
    EventAttendance,
    SkillSession,
    CheckIn,
    Feedback,
    MilestoneAchievement,
    User,
]
#: Generous ceilings; a per-row query would blow through them with a few rows.
MAX_CHANGELIST_QUERIES = 12
MAX_CHANGE_PAGE_QUERIES = 12


def add_activity(n: int = 1) -> None:
    """``n`` of every kind of row, each on its own match, with an audit trail."""
    for _ in range(n):
        match = MatchFactory()
        InformalEventFactory(match=match)
        EventAttendanceFactory(person=match.participant, match=match)
        SkillSessionFactory(match=match)
        CheckInFactory(match=match)
        FeedbackFactory(match=match)
        MilestoneAchievementFactory(person=match.participant)
        ended = MatchFactory()
        match_end(match=ended, ended_at=ended.matched_at, end_reason="completed", via="webhook")


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def count_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_loads_with_a_bounded_number_of_queries(
    admin_client, model, django_assert_max_num_queries
):
    add_activity(3)
    with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES):
        response = admin_client.get(url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model):
    add_activity(1)
    few = count_queries(admin_client, url(model, "changelist"))
    add_activity(4)
    assert count_queries(admin_client, url(model, "changelist")) == few


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_change_page_loads_with_a_bounded_number_of_queries(
    admin_client, model, django_assert_max_num_queries
):
    add_activity(2)
    obj = model.objects.order_by("pk").last()
    with django_assert_max_num_queries(MAX_CHANGE_PAGE_QUERIES):
        response = admin_client.get(url(model, "change", obj.pk))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "model", [m for m in MODELS if m is not MatchTransition], ids=lambda m: m.__name__
)
def test_add_page_loads(admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 200


def test_a_staff_user_without_superuser_rights_but_with_view_permission_sees_matches(client):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    staff = UserFactory(username="data-fixer", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_match"))
    client.force_login(staff)
    add_activity(1)
    assert client.get(url(Match, "changelist")).status_code == 200
    assert client.get(url(Match, "add")).status_code == 403
