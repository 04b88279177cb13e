"""The dashboard: a program's key figures, its charts (each with a text alternative and its
numbers as a table) and the top of the attention queue, in a constant number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enrollments.attention import attention_refresh
from enrollments.selectors import matches_per_month, rating_distribution, waiting_figures
from tests.factories import EnrollmentFactory, FeedbackFactory, ParticipantFactory
from tests.ui.conftest import busy, enrolled_match

pytestmark = pytest.mark.django_db


def test_the_key_figures_are_those_of_the_program(logged_in, program):
    enrolled_match(program)
    EnrollmentFactory(person=ParticipantFactory(), program=program)
    context = logged_in.get(reverse("enrollments:dashboard")).context
    assert context["figures"].enrolled == 3
    assert context["waiting"].count == 1
    assert context["matches"]["active"] == 1
    assert context["figures"].match_rate == 0.5


def test_each_chart_has_a_text_alternative_and_a_table(logged_in, program):
    busy(program, 2)
    html = logged_in.get(reverse("enrollments:dashboard")).content.decode()
    for chart in ("months", "moods", "ratings", "hours"):
        canvas = html.split(f'data-chart="{chart}"')[1].split(">")[0]
        assert 'role="img"' in canvas and "aria-label=" in canvas, chart
    assert html.count("<table>") >= 4
    assert 'id="chart-data"' in html  # the numbers the charts draw


def test_the_top_of_the_attention_queue_is_on_the_dashboard(logged_in, program):
    busy(program, 2)
    context = logged_in.get(reverse("enrollments:dashboard")).context
    assert 0 < len(context["attention"]) <= 5
    assert context["attention_count"] >= len(context["attention"])


def _dashboard_queries(client) -> tuple[int, int]:
    """Queries of the dashboard's first render after a recompute (its figures computed and
    cached) and of the next (read from the cache)."""
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("enrollments:dashboard")).status_code == 200
        counts.append(len(queries))
    return tuple(counts)


def test_the_dashboard_costs_the_same_queries_whatever_the_data_size(logged_in, program):
    busy(program, 1)
    logged_in.get(reverse("enrollments:dashboard"))  # session warm, the queue kept whole
    attention_refresh(program=program)
    small = _dashboard_queries(logged_in)
    busy(program, 6)
    attention_refresh(program=program)  # what the recompute after the changes does
    large = _dashboard_queries(logged_in)
    assert large == small
    assert small[1] < small[0]  # the figures come from the cache until the next recompute


def test_the_dashboards_figures_follow_the_recompute(logged_in, program):
    enrolled_match(program)
    assert logged_in.get(reverse("enrollments:dashboard")).context["figures"].enrolled == 2
    EnrollmentFactory(person=ParticipantFactory(), program=program)
    attention_refresh(program=program)  # every recompute refreshes the kept items
    assert logged_in.get(reverse("enrollments:dashboard")).context["figures"].enrolled == 3


def test_the_dashboard_shows_the_top_of_the_queue_in_german(logged_in, program):
    enrolled_match(program, matched_at=timezone.now() - timedelta(days=100))
    html = logged_in.get(reverse("enrollments:dashboard"), HTTP_ACCEPT_LANGUAGE="de").content
    assert "Tagen kein Kontakt" in html.decode()


def test_waiting_figures_count_the_longest_wait(program):
    now = timezone.now()
    person = ParticipantFactory(joined_at=now - timedelta(days=40))
    EnrollmentFactory(person=person, program=program, enrolled_at=now - timedelta(days=40))
    EnrollmentFactory(
        person=ParticipantFactory(), program=program, enrolled_at=now - timedelta(days=10)
    )
    waiting = waiting_figures(program=program, now=now)
    assert (waiting.count, waiting.longest_days, round(waiting.median_days)) == (2, 40, 25)


def test_matches_per_month_counts_starts_and_ends_in_their_month(program):
    now = timezone.now()
    enrolled_match(program, matched_at=now)
    rows = matches_per_month(program=program, now=now)
    assert len(rows) == 12 and rows[-1]["started"] >= 1
    assert sum(r["ended"] for r in rows) == 0


def test_ratings_fall_in_fifths_of_the_scale(program):
    match = enrolled_match(program)
    for rating in (0.05, 0.5, 1.0, 0.99):
        FeedbackFactory(match=match, rating=rating)
    assert [r["count"] for r in rating_distribution(program=program)] == [1, 0, 1, 0, 2]


def test_the_dashboard_shows_the_share_at_risk_and_health_charts_with_their_numbers(
    logged_in, program
):
    from tests.enrollments.health_rows import scored_match
    from tests.factories import CompanyFactory

    acme = CompanyFactory(name="Acme")
    scored_match(program, band="healthy", company=acme, history=("watch",))
    scored_match(program, band="at_risk", company=acme)
    response = logged_in.get(reverse("enrollments:dashboard"))
    assert response.context["health"]["current"].at_risk_share == 0.5
    html = response.content.decode()
    assert "1 healthy, 0 to watch, 1 at risk" in html
    for chart in ("health", "health_companies"):
        canvas = html.split(f'data-chart="{chart}"')[1].split(">")[0]
        assert 'role="img"' in canvas and "aria-label=" in canvas, chart
    assert '<caption class="visually-hidden">Match health per week</caption>' in html
    assert '<th scope="row">Acme</th><td class="num">1</td><td class="num">0</td>' in html
    chart = response.context["chart_data"]["health"]
    assert [d["data"] for d in chart["datasets"]] == [[0, 1], [1, 0], [0, 1]]


def test_a_viewer_sees_the_health_figures_in_german(client, viewer, program):
    from tests.enrollments.health_rows import scored_match

    scored_match(program, band="at_risk")
    client.force_login(viewer)
    html = client.get(reverse("enrollments:dashboard"), HTTP_ACCEPT_LANGUAGE="de").content
    html = html.decode()
    assert "Gefährdete Matches" in html and "Gesundheit der Matches pro Woche" in html
    assert "Ohne Unternehmen" in html


def test_the_recompute_warms_the_dashboards_figures_after_its_commit(
    logged_in, program, django_capture_on_commit_callbacks, monkeypatch
):
    """The first coordinator after a recompute reads the figures from the cache: the
    recompute's commit requests the task that computes them."""
    from enrollments import impact
    from enrollments.services import after_recompute

    busy(program, 2)
    logged_in.get(reverse("enrollments:dashboard"))  # session warm, the queue kept whole
    with django_capture_on_commit_callbacks(execute=True):
        after_recompute(program=program)  # the recompute's steps: the items, then the task

    def not_again(**_span):
        raise AssertionError("the dashboard computed its figures")

    monkeypatch.setattr(impact, "program_figures", not_again)
    monkeypatch.setattr(impact, "hours_by_company", not_again)
    context = logged_in.get(reverse("enrollments:dashboard")).context
    assert context["figures"].enrolled == program.enrollments.count()


@pytest.fixture
def fresh_cache():
    from django.core.cache import cache

    cache.clear()  # figures another test cached under the same program id are not these


def _recomputed_again(program):
    from enrollments.models import AttentionQueueState

    AttentionQueueState.objects.filter(program=program).update(
        changed_at=timezone.now() + timedelta(seconds=1)
    )


def test_after_a_small_recompute_the_dashboard_answers_the_last_figures_and_asks_a_worker(
    logged_in, program, settings, monkeypatch, fresh_cache
):
    """No coordinator waits for the figures once they were computed that day: a new program
    state answers the last ones (saying when they were computed) and asks, once, for the
    current ones."""
    from enrollments import impact

    busy(program, 2)
    attention_refresh(program=program)
    first = logged_in.get(reverse("enrollments:dashboard")).context["figures"]
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a worker computes them, not the request
    asked = []
    monkeypatch.setattr("core.broker.task_send", lambda *a, **kw: asked.append(kw["kwargs"]))
    monkeypatch.setattr(impact, "program_figures", lambda **_: pytest.fail("computed inline"))
    _recomputed_again(program)
    for _ in range(2):
        with monkeypatch.context() as m:
            m.setattr("django.db.transaction.on_commit", lambda f, **_: f())
            response = logged_in.get(reverse("enrollments:dashboard"))
    assert response.context["figures"] == first
    assert "As of " in response.content.decode()
    assert asked == [{"program_id": program.pk}]  # once per state


def test_the_warm_task_computes_the_current_figures_the_next_read_answers(
    logged_in, program, settings, fresh_cache
):
    from enrollments.models import AttentionQueueState
    from enrollments.selectors import dashboard_figures, dashboard_figures_warm

    busy(program, 2)
    attention_refresh(program=program)
    logged_in.get(reverse("enrollments:dashboard"))
    _recomputed_again(program)
    EnrollmentFactory(program=program)
    assert dashboard_figures_warm(program=program)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    state = AttentionQueueState.objects.get(program=program)
    figures = dashboard_figures(program=program, changed_at=state.changed_at)["figures"]
    assert figures.enrolled == program.enrollments.count()
