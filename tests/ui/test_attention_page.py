"""The needs-attention page: paginated, filterable by kind and age, summarised in words,
each item with its action, and snoozing (an item leaves the queue until its date or until it
changes)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollments.attention import PRIORITY, attention_queue, attention_refresh, item_fingerprint
from enrollments.models import AttentionSnooze
from tests.factories import CheckInFactory, EnrollmentFactory, ParticipantFactory
from tests.ui.conftest import enrolled_match

pytestmark = pytest.mark.django_db


def waiting(program, n: int, days: int = 20):
    now = timezone.now()
    for _ in range(n):
        person = ParticipantFactory()
        EnrollmentFactory(person=person, program=program, enrolled_at=now - timedelta(days=days))


def test_the_summary_is_in_words_never_raw_codes(logged_in, program):
    waiting(program, 2)
    html = logged_in.get(reverse("enrollments:attention")).content.decode()
    assert "2 participants waiting for a match" in html
    summary = html.split('class="attention-summary"')[1].split("</ul>")[0]
    for code in PRIORITY:
        assert code not in summary


def test_the_queue_is_paginated(logged_in, program):
    waiting(program, 30)
    first = logged_in.get(reverse("enrollments:attention"))
    assert len(first.context["rows"]) == 25
    assert 'rel="next"' in first.content.decode()
    second = logged_in.get(reverse("enrollments:attention") + "?page=2")
    assert len(second.context["rows"]) >= 5


def test_filters_by_kind_and_age(logged_in, program):
    waiting(program, 2, days=40)
    waiting(program, 1, days=3)
    enrolled_match(program, matched_at=timezone.now() - timedelta(days=100))
    rows = logged_in.get("/attention/?kind=participant.waiting&age=30").context["rows"]
    assert len(rows) == 2 and {r["item"].kind for r in rows} == {"participant.waiting"}


def test_an_unknown_kind_is_a_400(logged_in, program):
    assert logged_in.get("/attention/?kind=nonsense").status_code == 400


def test_the_days_cell_is_never_empty(logged_in, program):
    match = enrolled_match(program)
    CheckInFactory(match=match, mood="struggling")
    CheckInFactory(match=match, mood="difficult", checkin_date=timezone.now())
    html = logged_in.get(reverse("enrollments:attention")).content.decode()
    cells = re.findall(r'<td class="num">(.*?)</td>', html, re.S)
    assert cells and all(cell.strip() for cell in cells)
    assert "about the last two moods" in html  # the reason a struggling item has no days


def test_items_link_to_the_ui_and_offer_their_action(logged_in, program):
    match = enrolled_match(program, matched_at=timezone.now() - timedelta(days=100))
    html = logged_in.get(reverse("enrollments:attention")).content.decode()
    assert f'href="{reverse("buddy:match", args=[match.pk])}"' in html
    assert reverse("buddy:match-action", args=[match.pk]) + "?action=end" in html
    assert "/admin/" not in html.split('class="attention"')[1]


def snooze(client, item, program, **extra):
    data = {
        "program": program.program_type,
        "kind": item.kind,
        "subject_type": item.subject_type,
        "subject_id": item.subject_id or 0,
        "fingerprint": item_fingerprint(item),
        "until": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "note": "Called them",
    }
    return client.post(reverse("enrollments:attention-snooze"), {**data, **extra})


def test_a_snoozed_item_leaves_the_queue_until_its_date(logged_in, program, coordinator):
    waiting(program, 2)
    item = attention_queue(program=program)[-1]
    assert snooze(logged_in, item, program).status_code == 302
    context = logged_in.get(reverse("enrollments:attention")).context
    assert item.subject_id not in {r["item"].subject_id for r in context["rows"]}
    assert context["snoozed"] == 1
    row = AttentionSnooze.objects.get()
    assert (row.by, row.note) == (coordinator, "Called them")
    AttentionSnooze.objects.update(until=timezone.localdate() - timedelta(days=1))
    rows = logged_in.get(reverse("enrollments:attention")).context["rows"]
    assert item.subject_id in {r["item"].subject_id for r in rows}


def test_a_snoozed_item_comes_back_when_it_changes(logged_in, program):
    match = enrolled_match(program)
    CheckInFactory(match=match, mood="struggling", checkin_date=timezone.now() - timedelta(days=2))
    CheckInFactory(match=match, mood="struggling", checkin_date=timezone.now() - timedelta(days=1))
    item = next(i for i in attention_queue(program=program) if i.kind == "match.struggling")
    snooze(logged_in, item, program)
    kinds = {r["item"].kind for r in logged_in.get("/attention/").context["rows"]}
    assert "match.struggling" not in kinds
    CheckInFactory(match=match, mood="difficult", checkin_date=timezone.now())
    # the recompute after the change (the services queue it) refreshes the kept items
    attention_refresh(program=program, person_ids=[match.participant_id])
    kinds = {r["item"].kind for r in logged_in.get("/attention/").context["rows"]}
    assert "match.struggling" in kinds


def test_a_snooze_in_the_past_is_refused(logged_in, program):
    waiting(program, 1)
    item = attention_queue(program=program)[-1]
    response = snooze(logged_in, item, program, until="2000-01-01")
    assert response.status_code == 400 and b"after today" in response.content
    assert not AttentionSnooze.objects.exists()


def test_snoozing_with_htmx_replaces_the_row(logged_in, program):
    waiting(program, 1)
    item = attention_queue(program=program)[-1]
    data = {
        "program": "buddy", "kind": item.kind, "subject_type": item.subject_type,
        "subject_id": item.subject_id, "fingerprint": item_fingerprint(item),
        "until": (timezone.localdate() + timedelta(days=2)).isoformat(),
    }  # fmt: skip
    response = logged_in.post(reverse("enrollments:attention-snooze"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"Snoozed until" in response.content


def test_a_viewer_sees_the_queue_without_actions(client, viewer, program):
    waiting(program, 1)
    client.force_login(viewer)
    html = client.get(reverse("enrollments:attention")).content.decode()
    assert "Snooze" not in html.split('class="attention"')[1]


def test_the_page_costs_the_same_queries_whatever_the_queue_length(logged_in, program):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    waiting(program, 2)
    enrolled_match(program, matched_at=timezone.now() - timedelta(days=100))
    logged_in.get(reverse("enrollments:attention"))
    with CaptureQueriesContext(connection) as small:
        logged_in.get(reverse("enrollments:attention"))
    waiting(program, 10)
    for _ in range(3):
        enrolled_match(program, matched_at=timezone.now() - timedelta(days=100))
    attention_refresh(program=program)
    with CaptureQueriesContext(connection) as large:
        response = logged_in.get(reverse("enrollments:attention"))
    assert response.context["total"] > 12
    assert len(large) == len(small)


def test_the_first_page_and_a_filtered_page_cost_the_same_queries_whatever_the_data_size(
    logged_in, program
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    waiting(program, 2, days=40)
    enrolled_match(program, matched_at=timezone.now() - timedelta(days=100))
    item = attention_queue(program=program)[0]
    snooze(logged_in, item, program)  # a snooze to leave out, in SQL
    paths = [
        reverse("enrollments:attention"),
        reverse("enrollments:attention") + "?kind=participant.waiting&age=30",
        reverse("enrollments:attention") + "?age=14&page=2",
    ]

    def queries():
        counts = []
        for path in paths:
            with CaptureQueriesContext(connection) as captured:
                assert logged_in.get(path).status_code == 200
            counts.append(len(captured))
        return counts

    attention_refresh(program=program)  # kept whole (else the first read does it)
    logged_in.get(paths[0])  # the snooze's message read from the session
    small = queries()
    waiting(program, 40, days=50)
    for _ in range(30):
        enrolled_match(program, matched_at=timezone.now() - timedelta(days=100))
    attention_refresh(program=program)
    large = queries()
    assert large == small
    rows = logged_in.get(paths[1]).context["rows"]
    assert len(rows) == 25 and {r["item"].kind for r in rows} == {"participant.waiting"}


def test_the_items_read_in_german(logged_in, program):
    waiting(program, 1, days=20)
    html = logged_in.get(reverse("enrollments:attention"), HTTP_ACCEPT_LANGUAGE="de").content
    assert "wartet seit 20 Tagen auf ein Match" in html.decode()
    assert "Teilnehmende*r wartet auf ein Match" in html.decode()  # the summary in words


def test_a_refused_htmx_snooze_answers_its_form_again_with_422(logged_in, program):
    waiting(program, 1)
    item = attention_queue(program=program)[-1]
    far = (timezone.localdate() + timedelta(days=400)).isoformat()
    response = logged_in.post(
        reverse("enrollments:attention-snooze"),
        {"program": "buddy", "kind": item.kind, "subject_type": item.subject_type,
         "subject_id": item.subject_id, "fingerprint": item_fingerprint(item),
         "until": far, "note": "Called them", "row": "3"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert response.status_code == 422
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#snooze-form-3", "outerHTML")
    html = response.content.decode()
    assert 'id="until-3-error"' in html and "within 365 days" in html
    assert f'value="{far}"' in html and 'value="Called them"' in html
    assert not AttentionSnooze.objects.exists()
