"""The matching board (issue 19): waiting participants, a program-wide run with its progress,
proposals (accept, accept in bulk, dismiss with a reason), why-not-matched, criteria with a
preview and the suggested weights; and a person page's top 5 with its Accept button.
Coordinators change, viewers read with names masked, company users and no role get 403."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from buddy.models import Match, MatchStatus
from core.pii import MASK
from matching.models import MatchingCriteria, ProposalStatus, RunStatus
from matching.services import criteria_save, run_create, run_execute
from tests.factories import (
    BuddyFactory,
    CompanyFactory,
    EnrollmentFactory,
    MatchFactory,
    ParticipantFactory,
    UserFactory,
    company_user_of,
)

pytestmark = pytest.mark.django_db

BOARD = reverse("matching:board")
CRITERIA = reverse("matching:criteria")


def enrolled(program, factory, **fields):
    person = factory(**fields)
    EnrollmentFactory(person=person, program=program)
    return person


@pytest.fixture
def pair(program):
    """A waiting participant and a buddy with a free place who speak the same language."""
    participant = enrolled(
        program, ParticipantFactory, first_name="Qzpart", languages=["ar"], location="Berlin"
    )
    buddy = enrolled(
        program, BuddyFactory, first_name="Qzbud", languages=["ar"], location="Berlin", capacity=1
    )
    return participant, buddy


def run_now(program):
    """A program-wide run, executed to the end (what the worker does)."""
    run = run_create(program=program)
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    return run


@pytest.fixture
def done_run(program, pair):
    run = run_now(program)
    assert run.status == RunStatus.DONE
    return run


def proposal_of(run):
    return run.proposals.get()


# --- The board ------------------------------------------------------------------------------


def test_the_board_lists_the_waiting_participants_only(logged_in, program, pair):
    participant, buddy = pair
    busy_participant = enrolled(program, ParticipantFactory)
    MatchFactory(program=program, participant=busy_participant, buddy=buddy)
    response = logged_in.get(BOARD)
    assert response.status_code == 200
    assert [p.pk for p in response.context["waiting"]] == [participant.pk]


def test_the_waiting_list_takes_the_people_lists_filters(logged_in, program, pair):
    participant, _buddy = pair
    enrolled(program, ParticipantFactory, languages=["uk"], location="Hamburg")
    response = logged_in.get(BOARD, {"city": "berl"})
    assert [p.pk for p in response.context["waiting"]] == [participant.pk]


def test_a_bad_filter_is_refused_with_400_beside_the_field(logged_in, program):
    response = logged_in.get(BOARD, {"waiting_days": "many"})
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()


def test_running_matching_starts_a_run_and_shows_its_proposals(
    logged_in, program, pair, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # no broker: executes at once
        response = logged_in.post(reverse("matching:run-start"), {"program": "buddy"})
    assert response.status_code == 302
    run = program.recommendation_runs.get()
    assert run.status == RunStatus.DONE
    page = logged_in.get(response.url)
    assert list(page.context["proposals"]) == [proposal_of(run)]
    assert "Qzbud" in page.content.decode()


def test_running_matching_needs_the_program(logged_in):
    assert logged_in.post(reverse("matching:run-start"), {}).status_code == 400


def test_a_running_run_polls_its_progress_every_second(logged_in, program):
    run = run_create(program=program)
    run.status, run.progress = RunStatus.RUNNING, 40
    run.save()
    response = logged_in.get(
        reverse("matching:run-progress", args=[run.pk]), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert 'value="40"' in body
    assert "HX-Refresh" not in response


def test_a_finished_run_stops_polling_and_reloads_the_board(logged_in, done_run):
    url = reverse("matching:run-progress", args=[done_run.pk])
    response = logged_in.get(url, HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in response.content.decode()
    assert response["HX-Refresh"] == "true"


def test_accepting_a_proposal_proposes_the_match(logged_in, done_run, pair):
    proposal = proposal_of(done_run)
    response = logged_in.post(reverse("matching:proposal-accept", args=[proposal.pk]))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.match.status == MatchStatus.PROPOSED


def test_a_refused_acceptance_is_shown_beside_the_proposal(logged_in, done_run):
    proposal = proposal_of(done_run)
    MatchFactory(program=proposal.program, participant=proposal.participant)  # active meanwhile
    response = logged_in.post(reverse("matching:proposal-accept", args=[proposal.pk]))
    assert response.status_code == 409
    assert response.context["refusals"][proposal.pk]
    assert 'role="alert"' in response.content.decode()


def test_accepting_selected_proposals_in_bulk(logged_in, program, pair):
    other = enrolled(program, ParticipantFactory, languages=["ar"], location="Berlin")
    enrolled(program, BuddyFactory, languages=["ar"], location="Berlin", capacity=1)
    run = run_now(program)
    first, second = run.proposals.order_by("id")
    response = logged_in.post(
        reverse("matching:proposals-accept", args=[run.pk]),
        {"proposal": [first.pk], "confirm": "on"},
    )
    assert response.status_code == 302
    assert run.proposals.get(pk=first.pk).status == ProposalStatus.ACCEPTED
    assert run.proposals.get(pk=second.pk).status == ProposalStatus.PROPOSED
    assert other.pk in {first.participant_id, second.participant_id}


def test_bulk_acceptance_without_confirmation_keeps_the_ticks(logged_in, done_run):
    proposal = proposal_of(done_run)
    response = logged_in.post(
        reverse("matching:proposals-accept", args=[done_run.pk]), {"proposal": [proposal.pk]}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="bulk-confirm-error"' in body
    assert f'value="{proposal.pk}" id="select-{proposal.pk}"' in body
    assert "checked" in body.split(f'id="select-{proposal.pk}"')[1].split(">")[0]
    assert proposal_of(done_run).status == ProposalStatus.PROPOSED


def test_dismissing_needs_a_reason_and_keeps_the_form(logged_in, done_run):
    proposal = proposal_of(done_run)
    url = reverse("matching:proposal-dismiss", args=[proposal.pk])
    response = logged_in.post(url, {f"dismiss-{proposal.pk}-reason": "   "})
    assert response.status_code == 400
    assert f'id="id_dismiss-{proposal.pk}-reason_error"' in response.content.decode()
    response = logged_in.post(url, {f"dismiss-{proposal.pk}-reason": "met before"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.dismissal_reason) == ("dismissed", "met before")


def test_the_why_not_matched_list_shows_the_reason_and_relaxations(logged_in, program):
    enrolled(program, ParticipantFactory, languages=["ar"])
    enrolled(program, BuddyFactory, languages=["de"], capacity=1)
    version = criteria_save(program=program, criteria={"language": {"rule": "must", "weight": 10}})
    assert version.version >= 1
    run_now(program)
    response = logged_in.get(BOARD)
    assert response.status_code == 200
    entry = response.context["unmatched"][0]
    assert entry["text"] in response.content.decode()
    for relaxation in entry.get("relaxations", []):
        assert relaxation["text"] in response.content.decode()


def test_the_board_costs_the_same_queries_whatever_the_data_size(logged_in, program, pair):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert logged_in.get(BOARD).status_code == 200
        return len(queries)

    enrolled(program, ParticipantFactory, languages=["zz"])  # nobody speaks it: unmatched
    run_now(program)
    count()  # the session remembers the program
    small = count()
    for _ in range(4):
        enrolled(program, ParticipantFactory, languages=["ar"])
        enrolled(program, BuddyFactory, languages=["ar"])
        enrolled(program, ParticipantFactory, languages=["zz"])
    run_now(program)
    assert count() == small


# --- Roles ----------------------------------------------------------------------------------


def test_a_viewer_reads_the_board_with_names_masked_and_no_buttons(client, viewer, done_run):
    client.force_login(viewer)
    response = client.get(BOARD)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Qzpart" not in body and "Qzbud" not in body
    assert "Run matching for the program" not in body
    assert 'action="/matching/proposals/' not in body


def test_a_viewer_may_not_run_accept_or_dismiss(client, viewer, done_run):
    client.force_login(viewer)
    proposal = proposal_of(done_run)
    assert client.post(reverse("matching:run-start"), {"program": "buddy"}).status_code == 403
    assert client.post(reverse("matching:proposal-accept", args=[proposal.pk])).status_code == 403
    assert proposal_of(done_run).status == ProposalStatus.PROPOSED


@pytest.mark.parametrize("url", [BOARD, CRITERIA])
def test_company_users_and_logins_without_a_role_get_403(client, url):
    client.force_login(company_user_of(CompanyFactory()))
    assert client.get(url).status_code == 403
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(BOARD)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_layout_and_the_dashboard_link_to_the_board(logged_in, program):
    body = logged_in.get(reverse("enrollments:dashboard")).content.decode()
    assert body.count(f'href="{BOARD}') >= 2


# --- Criteria -------------------------------------------------------------------------------


def criteria_post(**changes) -> dict:
    from matching.engine.criteria import REGISTRY

    data = {"program": "buddy", "score_floor": "0"}
    for name, criterion in REGISTRY.items():
        data[f"rule_{name}"] = criterion.default_rule
        data[f"weight_{name}"] = str(criterion.default_weight)
    data.update(changes)
    return data


def test_the_criteria_page_shows_the_current_version_without_writing_one(logged_in, program):
    response = logged_in.get(CRITERIA)
    assert response.status_code == 200
    assert not MatchingCriteria.objects.filter(program=program).exists()


def test_a_preview_shows_how_the_top_moves_and_saves_nothing(logged_in, program, pair):
    participant, buddy = pair
    enrolled(program, BuddyFactory, languages=["de"], location="Berlin", capacity=1)
    response = logged_in.post(CRITERIA, criteria_post(rule_language="must", preview="1"))
    assert response.status_code == 200
    preview = response.context["preview"]
    row = preview["participants"][0]
    assert row["participant_id"] == participant.pk
    assert [c["buddy_id"] for c in row["after"]] == [buddy.pk]
    assert row["changed"] is True
    assert not MatchingCriteria.objects.filter(program=program).exists()
    assert 'value="must" selected' in response.content.decode()  # what was typed stays


def test_saving_criteria_writes_a_new_version(logged_in, program):
    response = logged_in.post(CRITERIA, criteria_post(weight_language="55", save="1"))
    assert response.status_code == 302
    version = MatchingCriteria.objects.get(program=program)
    assert version.criteria["language"]["weight"] == 55


def test_a_bad_weight_is_refused_beside_the_field_and_kept(logged_in, program):
    response = logged_in.post(CRITERIA, criteria_post(weight_language="150", save="1"))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_weight_language_error"' in body
    assert 'value="150"' in body
    assert not MatchingCriteria.objects.filter(program=program).exists()


def test_applying_the_suggested_weights_fills_the_form(logged_in, program, monkeypatch):
    from matching import views

    evidence = {
        "matches": 40, "good": 20, "ended_early": 5, "not_measurable": [],
        "criteria": [{
            "criterion": "language", "label": "Shared language", "rule": "prefer",
            "weight": 10, "met": 20, "not_met": 20, "good_rate_met": 0.7,
            "good_rate_not_met": 0.3, "early_rate_met": 0.1, "early_rate_not_met": 0.2,
            "effect": 0.4, "suggested_weight": 18, "evidence": "enough",
        }],
    }  # fmt: skip
    monkeypatch.setattr(views, "outcome_evidence", lambda **kwargs: evidence)
    response = logged_in.get(CRITERIA, {"apply": "suggested"})
    assert response.context["form"].initial["weight_language"] == 18
    assert not MatchingCriteria.objects.filter(program=program).exists()


def test_a_viewer_reads_the_criteria_but_may_not_save(client, viewer, program):
    client.force_login(viewer)
    assert client.get(CRITERIA).status_code == 200
    assert client.post(CRITERIA, criteria_post(save="1")).status_code == 403


# --- A person's top 5 -----------------------------------------------------------------------


def suggestions_url(person) -> str:
    return reverse("matching:person-suggestions", args=[person.pk]) + "?program=buddy"


def test_the_person_page_loads_the_top_5_of_a_waiting_participant(logged_in, pair):
    participant, _buddy = pair
    body = logged_in.get(reverse("buddy:person", args=[participant.pk])).content.decode()
    assert f'hx-get="{suggestions_url(participant)}"' in body
    assert 'hx-trigger="load"' in body


def test_the_top_5_shows_score_bars_with_their_value_and_reasons(logged_in, pair):
    participant, buddy = pair
    response = logged_in.get(suggestions_url(participant), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    candidate = response.context["candidates"][0]
    body = response.content.decode()
    assert candidate["buddy_id"] == buddy.pk
    assert '<meter min="0" max="100"' in body
    assert f"{candidate['score']} / 100" in body
    assert all(reason in body for reason in candidate["reasons"])
    assert "<html" not in body  # the partial, for htmx


def test_without_javascript_the_top_5_is_a_page(logged_in, pair):
    participant, _buddy = pair
    body = logged_in.get(suggestions_url(participant)).content.decode()
    assert "<html" in body and "Yes, propose" in body


def test_accepting_a_suggestion_proposes_the_match(logged_in, pair):
    participant, buddy = pair
    url = reverse("matching:suggestion-accept", args=[participant.pk])
    response = logged_in.post(url, {"program": "buddy", "buddy": buddy.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("buddy:person", args=[participant.pk])
    match = Match.objects.get(participant=participant)
    assert (match.buddy, match.status, match.source) == (buddy, "proposed", "recommendation")


def test_a_refused_suggestion_shows_the_refusal_beside_the_button(logged_in, program, pair):
    participant, buddy = pair
    other = enrolled(program, BuddyFactory, languages=["ar"], capacity=1)
    url = reverse("matching:suggestion-accept", args=[participant.pk])
    logged_in.post(url, {"program": "buddy", "buddy": buddy.pk})
    response = logged_in.post(url, {"program": "buddy", "buddy": other.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "Not accepted:" in response.content.decode()
    assert Match.objects.filter(participant=participant).count() == 1


def test_a_viewer_sees_the_top_5_masked_without_the_accept_button(client, viewer, pair):
    participant, _buddy = pair
    client.force_login(viewer)
    response = client.get(suggestions_url(participant), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Qzbud" not in body and "Yes, propose" not in body
    url = reverse("matching:suggestion-accept", args=[participant.pk])
    assert client.post(url, {"program": "buddy", "buddy": 1}).status_code == 403


def test_a_participant_who_is_not_waiting_gets_no_suggestions(logged_in, program, pair):
    participant, buddy = pair
    MatchFactory(program=program, participant=participant, buddy=buddy)
    response = logged_in.get(suggestions_url(participant), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.context["not_waiting"]
    assert MASK not in response.content.decode()


# --- The engine's words in the coordinator's language ----------------------------------------


def in_german(client):
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    return client


def test_a_german_coordinator_reads_the_top_5_reasons_in_german(logged_in, pair):
    participant, _buddy = pair
    body = in_german(logged_in).get(suggestions_url(participant), HTTP_HX_REQUEST="true")
    body = body.content.decode()
    assert "beide sprechen Arabisch" in body and "gleiche Stadt: Berlin" in body
    assert "Buddy hat 1 freien Platz" in body
    assert "Sprache: " in body  # the criteria's labels beside their points
    assert "both speak" not in body and "same city" not in body


def test_a_german_coordinator_reads_the_boards_proposals_and_why_not_in_german(
    logged_in, program, pair
):
    enrolled(program, ParticipantFactory, languages=["ti"], location="Köln")
    criteria_save(program=program, criteria={"language": {"rule": "must", "weight": 10}})
    run = run_now(program)
    assert run.proposals.get().reasons[0] == "both speak Arabic"  # the API's words stay
    body = in_german(logged_in).get(BOARD).content.decode()
    assert "beide sprechen Arabisch" in body
    assert "kein Buddy spricht Tigrinya: 1 durch die Pflichtregel Sprache ausgeschlossen" in body
    assert "die Regel „Sprache“ zur Präferenz zu machen, bringt 1 Kandidaten hinzu" in body
    assert "both speak" not in body and "must-rule" not in body


def test_a_german_coordinator_reads_a_rule_refusal_in_german(logged_in, done_run):
    proposal = proposal_of(done_run)
    url = reverse("matching:proposal-accept", args=[proposal.pk])
    assert in_german(logged_in).post(url).status_code == 302
    response = logged_in.post(url)
    assert "Dieser Vorschlag ist bereits angenommen." in response.content.decode()


def test_the_api_keeps_the_reasons_and_explanations_in_english(logged_in, program, pair):
    enrolled(program, ParticipantFactory, languages=["ti"])
    criteria_save(program=program, criteria={"language": {"rule": "must", "weight": 10}})
    run = run_now(program)
    unmatched = logged_in.get(f"/api/recommendations/runs/{run.pk}/unmatched/").json()
    assert unmatched[0]["text"] == (
        "no buddy passes the rules: no buddy speaks Tigrinya: 1 excluded by the language must-rule"
    )
    assert set(unmatched[0]) == {"participant_id", "code", "text", "excluded", "relaxations"}
    assert all(set(r) == {"text", "adds"} for r in unmatched[0]["relaxations"])
