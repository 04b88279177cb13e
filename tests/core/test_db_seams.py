"""Each PostgreSQL fast path and its portable ORM path behave the same: every behaviour
test of a concern runs over both implementations of its seam (``core.db.Seam``)."""

import importlib
import pkgutil
import re
import uuid
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.models import F, FloatField
from django.utils import timezone

from buddy.models import ExternalId, Match, Person
from buddy.services import common
from core import outbox, queries
from core.db import GENERIC, POSTGRESQL, SEAMS
from core.errors import UnknownReference
from core.models import OutboxEvent
from enrollments import impact
from matching import services as matching_services
from matching.models import Proposal, ProposalStatus
from tests.factories import BuddyFactory, MatchFactory, ParticipantFactory
from tests.seams import implementations
from tests.webhooks.conftest import MATCH_ID, deliver, example
from webhooks.models import (
    DeliveryStatus,
    EventStatus,
    WebhookConflict,
    WebhookDelivery,
    WebhookEvent,
)
from webhooks.statements import event_statements

# --- The webhook event store (store, lock, mark processed) -----------------------------------

event_store = implementations(event_statements)


def test_a_first_delivery_stores_and_processes_the_event(db, client, event_store):
    MatchFactory(external_id=MATCH_ID)
    assert deliver(client, example("buddy.checkin.completed"), delivery_id="d-1").status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts, event.last_error) == (EventStatus.PROCESSED, 1, "")
    assert event.processed_at is not None
    delivery = WebhookDelivery.objects.get()
    assert (delivery.delivery_id, delivery.event_id) == ("d-1", event.pk)
    assert (delivery.status, delivery.retry_count) == (DeliveryStatus.PROCESSED, 0)
    assert delivery.processed_at == delivery.last_attempt_at == event.processed_at


def test_a_retry_of_a_successful_delivery_id_is_counted_and_stores_nothing(db, client, event_store):
    MatchFactory(external_id=MATCH_ID)
    payload = example("buddy.checkin.completed")
    deliver(client, payload, delivery_id="d-1")
    assert deliver(client, payload, delivery_id="d-1").status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.duplicate_count) == (DeliveryStatus.PROCESSED, 1)
    assert WebhookEvent.objects.get().attempts == 1


def test_the_same_event_under_a_new_delivery_id_is_a_duplicate_delivery(db, client, event_store):
    MatchFactory(external_id=MATCH_ID)
    payload = example("buddy.checkin.completed")
    deliver(client, payload, delivery_id="d-1")
    assert deliver(client, payload, delivery_id="d-2").status_code == 202
    assert WebhookEvent.objects.count() == 1
    second = WebhookDelivery.objects.get(delivery_id="d-2")
    assert (second.status, second.duplicate_count) == (DeliveryStatus.DUPLICATE, 1)


def test_the_same_event_id_with_another_payload_is_a_conflict(db, client, event_store):
    MatchFactory(external_id=MATCH_ID)
    payload = example("buddy.checkin.completed")
    deliver(client, payload, delivery_id="d-1")
    changed = example("buddy.checkin.completed", mood="difficult")
    assert deliver(client, changed, delivery_id="d-2").status_code == 409
    assert WebhookConflict.objects.get().delivery_id == "d-2"
    assert list(WebhookDelivery.objects.values_list("delivery_id", flat=True)) == ["d-1"]
    assert WebhookEvent.objects.get().payload == payload


def test_a_deliverys_last_error_is_cleared_when_its_processing_succeeds(db, client, event_store):
    payload = example("buddy.checkin.completed")
    assert deliver(client, payload, delivery_id="d-1").status_code == 500  # match unknown
    failed = WebhookDelivery.objects.get()
    assert failed.status == DeliveryStatus.FAILED and failed.last_error != ""

    MatchFactory(external_id=MATCH_ID)
    assert deliver(client, payload, delivery_id="d-1").status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.PROCESSED, "")
    assert (delivery.retry_count, delivery.last_attempt_at) == (1, delivery.processed_at)
    event = WebhookEvent.objects.get()
    assert (event.status, event.last_error, event.attempts) == (EventStatus.PROCESSED, "", 2)


def test_the_locked_event_carries_what_processing_reads_but_not_the_payload(
    db, client, event_store
):
    deliver(client, example("buddy.checkin.completed"))  # stored, waiting for the match
    stored = WebhookEvent.objects.get()
    with transaction.atomic():
        locked = event_statements.impl.lock(stored.pk)
    assert (locked.pk, locked.event_id, locked.event_type, locked.status, locked.attempts) == (
        stored.pk, stored.event_id, stored.event_type, stored.status, stored.attempts
    )  # fmt: skip
    assert "payload" in locked.get_deferred_fields()


def test_locking_an_unknown_event_raises_does_not_exist(db, event_store):
    with pytest.raises(WebhookEvent.DoesNotExist):
        event_statements.impl.lock(0)
    with pytest.raises(WebhookEvent.DoesNotExist), transaction.atomic():
        event_statements.impl.lock_and_mark(0, 0, timezone.now())


def test_lock_and_mark_returns_the_event_as_it_was_and_marks_both_rows(db, client, event_store):
    deliver(client, example("buddy.checkin.completed"), delivery_id="d-1")  # waits for its match
    stored, delivery = WebhookEvent.objects.get(), WebhookDelivery.objects.get()
    now = timezone.now()
    with transaction.atomic():
        locked = event_statements.impl.lock_and_mark(stored.pk, delivery.pk, now)
    assert (locked.pk, locked.status, locked.attempts) == (stored.pk, EventStatus.WAITING, 1)
    event, delivery = WebhookEvent.objects.get(), WebhookDelivery.objects.get()
    assert (event.status, event.attempts, event.last_error) == (EventStatus.PROCESSED, 2, "")
    assert event.processed_at == now and event.updated_at >= now
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.PROCESSED, "")
    assert delivery.processed_at == delivery.last_attempt_at == now


def test_lock_and_mark_leaves_a_processed_event_and_the_delivery_as_they_are(
    db, client, event_store
):
    MatchFactory(external_id=MATCH_ID)
    deliver(client, example("buddy.checkin.completed"), delivery_id="d-1")
    deliver(client, example("buddy.checkin.completed"), delivery_id="d-2")  # a duplicate
    stored = WebhookEvent.objects.get()
    second = WebhookDelivery.objects.get(delivery_id="d-2")
    with transaction.atomic():
        locked = event_statements.impl.lock_and_mark(stored.pk, second.pk, timezone.now())
    assert (locked.status, locked.attempts) == (EventStatus.PROCESSED, 1)
    event = WebhookEvent.objects.get()
    assert (event.attempts, event.processed_at, event.updated_at) == (
        1, stored.processed_at, stored.updated_at
    )  # fmt: skip
    assert WebhookDelivery.objects.get(pk=second.pk).status == DeliveryStatus.DUPLICATE


def test_a_processing_failure_undoes_the_mark_made_with_the_lock(
    db, client, event_store, monkeypatch
):
    MatchFactory(external_id=MATCH_ID)
    monkeypatch.setattr(
        "webhooks.processors.activities.checkin_record",
        lambda **kwargs: (_ for _ in ()).throw(RuntimeError("bug")),
    )
    assert deliver(client, example("buddy.checkin.completed"), delivery_id="d-1").status_code == 500
    event, delivery = WebhookEvent.objects.get(), WebhookDelivery.objects.get()
    assert (event.status, event.processed_at, event.attempts) == (EventStatus.FAILED, None, 1)
    assert (delivery.status, delivery.processed_at, delivery.retry_count) == (
        DeliveryStatus.FAILED, None, 1
    )  # fmt: skip


# --- ``among`` (the bulk ``__in``) -----------------------------------------------------------

among_forms = implementations(queries.among_seam)


def test_among_selects_the_rows_whose_field_is_one_of_the_values(db, among_forms):
    first, second, third = MatchFactory(), MatchFactory(), MatchFactory()

    def pks(q):
        return set(Match.objects.filter(q).values_list("pk", flat=True))

    assert pks(queries.among("external_id", [first.external_id, third.external_id])) == {
        first.pk, third.pk
    }  # fmt: skip
    assert pks(queries.among("pk", {second.pk})) == {second.pk}
    assert pks(queries.among("participant_id", [first.participant_id])) == {first.pk}
    assert pks(queries.among("status", ["no such status"])) == set()
    assert pks(queries.among("pk", [])) == set()


# --- Reference look-ups (people and matches by their Buddy System ids) ----------------------

references = implementations(common.references)


def test_person_refs_give_each_known_id_its_person_and_role(db, references):
    participant, buddy = ParticipantFactory(external_id="p-1"), BuddyFactory(external_id="b-1")
    ExternalId.objects.create(provider="elsewhere", external_id="other-1", person=participant)
    assert common.person_refs(["p-1", "b-1", "unknown", "other-1", None]) == {
        "p-1": (participant.pk, "participant"),
        "b-1": (buddy.pk, "buddy"),
    }


def test_person_refs_find_ids_with_quotes_commas_and_backslashes(db, references):
    odd = 'a"b,c\\d{e} f'
    person = ParticipantFactory(external_id=odd)
    assert common.person_refs([odd, "a"]) == {odd: (person.pk, "participant")}


def test_match_refs_give_each_known_match_its_id_and_people(db, references):
    match = MatchFactory()
    assert common.match_refs([match.external_id, uuid.uuid4(), None]) == {
        match.external_id: (match.pk, match.participant_id, match.buddy_id)
    }


def test_people_by_external_id_load_the_reference_fields_only(db, references):
    participant = ParticipantFactory(external_id="p-1")
    people = common.people_by_external_id(["p-1", "unknown"])
    assert list(people) == ["p-1"]
    person = people["p-1"]
    assert isinstance(person, Person)
    assert (person.pk, person.role, person.joined_at) == (
        participant.pk, participant.role, participant.joined_at
    )  # fmt: skip
    assert set(person.get_deferred_fields()) >= {"first_name", "email"}


def test_require_match_loads_the_reference_fields_or_refuses_an_unknown_id(db, references):
    match = MatchFactory()
    found = common.require_match(match.external_id, path="matchId")
    values = {name: getattr(found, name) for name in common.MATCH_REF_FIELDS}
    assert values == {name: getattr(match, name) for name in common.MATCH_REF_FIELDS}
    assert set(found.get_deferred_fields()) >= {"end_reason", "matching_criteria"}
    with pytest.raises(UnknownReference) as refused:
        common.require_match(uuid.uuid4(), path="matchId")
    assert (refused.value.code, refused.value.kind) == ("reference.unknown", "match")


# --- Impact figures' medians (and JIT off while they run) ----------------------------------

figures = implementations(impact.figures_sql)


@pytest.mark.parametrize(
    ("durations", "median"),
    [([30, 10, 20], 20), ([40, 10, 20, 30], 25), ([15, None], 15), ([], None), ([None], None)],
)
def test_the_median_leaves_out_missing_values(db, figures, durations, median):
    for days in durations:
        MatchFactory(duration_days=days)
    matches = Match.objects.all()
    result = impact._median(matches, F("duration_days"), FloatField())
    assert result == (pytest.approx(median) if median is not None else None)


@pytest.mark.postgres
def test_the_figures_leave_the_sessions_jit_setting_as_they_found_it(db, figures, program):
    with connection.cursor() as cursor:
        cursor.execute("SET jit = on")
        impact.program_figures(program=program)
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "on"


# --- The outbox publisher's lock -------------------------------------------------------------

publisher = implementations(outbox.publisher_lock)


def test_publishing_numbers_the_pending_events_after_the_highest_number(db, publisher):
    first = outbox.publish(type=outbox.MATCH_PROPOSED, data={"n": 1}, program_id=None)
    [numbered] = outbox.events_publish_pending()
    assert (numbered.pk, numbered.sequence) == (first.pk, 1)
    later = [
        outbox.publish(type=outbox.MATCH_ENDED, data={"n": n}, program_id=None) for n in (2, 3)
    ]
    published = outbox.events_publish_pending()
    assert [(e.pk, e.sequence) for e in published] == [(later[0].pk, 2), (later[1].pk, 3)]
    assert all(e.published_at is not None for e in OutboxEvent.objects.all())
    assert outbox.events_publish_pending() == []


@pytest.mark.parametrize("copy_from", [1, 100], ids=["copied", "inserted"])
def test_a_published_event_is_stored_with_every_value(db, publisher, monkeypatch, copy_from):
    monkeypatch.setattr(outbox, "COPY_FROM_EVENTS", copy_from)
    with outbox.correlation("run-7"):
        [event] = outbox.publish_many(
            [outbox.Event(outbox.MATCH_ENDED, {"matchId": "m-1", "n": [1, 2]}, 3)]
        )
    stored = OutboxEvent.objects.get()
    assert (stored.pk, stored.type, stored.occurred_at, stored.data) == (
        event.pk,
        outbox.MATCH_ENDED,
        event.occurred_at,
        {"matchId": "m-1", "n": [1, 2]},
    )
    assert (stored.program_id, stored.correlation_id, stored.sequence) == (3, "run-7", None)
    assert not event._state.adding


def test_publishing_stores_each_events_number_and_publication_time(db, publisher):
    events = [
        outbox.publish(type=outbox.MATCH_ENDED, data={"n": n}, program_id=None) for n in range(3)
    ]
    published = outbox.events_publish_pending()
    stored = {e.pk: (e.sequence, e.published_at) for e in OutboxEvent.objects.all()}
    assert stored == {e.pk: (e.sequence, e.published_at) for e in published}
    assert sorted(sequence for sequence, _at in stored.values()) == [1, 2, 3]
    assert {e.pk for e in events} == set(stored)


@pytest.mark.postgres
def test_on_postgresql_the_publisher_holds_its_lock_while_it_numbers(db):
    def held() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory'"
                " AND classid = %s AND objid = 0 AND pid = pg_backend_pid())",
                [outbox._LOCK_CLASS],
            )
            return cursor.fetchone()[0]

    assert not held()
    with transaction.atomic():
        outbox.events_publish_pending()
        assert held()  # transaction-scoped: released when the publisher's transaction ends


# --- A matching run's proposals, stored in bulk ------------------------------------------

proposals = implementations(matching_services.proposal_writer)


def test_proposals_are_stored_with_every_value_of_the_draft(db, proposals, program):
    run = matching_services.run_create(program=program)
    rows = [
        Proposal(
            run=run, program_id=program.pk, participant_id=ParticipantFactory().pk,
            buddy_id=BuddyFactory().pk, score=score, parts={"language": score},
            reasons=[f"reason {score}"], locked=locked,
        )
        for score, locked in [(81.5, False), (42.0, True)]
    ]  # fmt: skip
    before = timezone.now()
    matching_services._insert_proposals(rows)
    stored = list(Proposal.objects.filter(run=run).order_by("-score"))
    fields = ("program_id", "participant_id", "buddy_id", "score", "parts", "reasons", "locked")
    assert [[getattr(p, f) for f in fields] for p in stored] == [
        [getattr(p, f) for f in fields] for p in rows
    ]
    for proposal in stored:
        assert (proposal.status, proposal.dismissal_reason) == (ProposalStatus.PROPOSED, "")
        assert proposal.created_at >= before and proposal.updated_at >= before


# --- Every dual path goes through a seam -----------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
#: Reading the vendor is core.db's job; migrations may branch on it. The import writers and
#: pipeline (buddy/imports) get their seams from the helper moving them to webhooks/imports.
VENDOR_READERS_ALLOWED = ("core/db.py", "buddy/imports/")
READS_VENDOR = re.compile(r"\.vendor\b")


def _project_modules() -> list[str]:
    names = []
    for package in PROJECT_PACKAGES:
        names.append(package)
        path = ROOT / package
        names += [m.name for m in pkgutil.walk_packages([str(path)], prefix=f"{package}.")]
    return [n for n in names if ".migrations" not in n]


PROJECT_PACKAGES = ("core", "buddy", "enrollments", "matching", "concerns", "webhooks", "privacy")


def test_every_seam_has_both_implementations_with_the_same_interface():
    for name in _project_modules():  # every seam is declared at import
        importlib.import_module(name)
    assert {
        "webhooks.event_store", "buddy.references", "enrollments.recompute",
        "enrollments.impact", "core.outbox_publisher", "matching.proposals",
    } <= set(SEAMS)  # fmt: skip
    for concern, seam in SEAMS.items():
        generic, postgresql = seam._implementations[GENERIC], seam._implementations[POSTGRESQL]
        assert generic is not None and postgresql is not None, concern
        assert type(generic) is not type(postgresql), concern

        def interface(impl):
            return {n for n in dir(impl) if not n.startswith("_")}

        assert interface(generic) == interface(postgresql), concern


def test_no_module_but_core_db_reads_the_database_vendor():
    readers = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "node_modules/")) or "/migrations/" in relative:
            continue
        if relative.startswith(VENDOR_READERS_ALLOWED) or path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if READS_VENDOR.search(line):
                readers.append(f"{relative}:{number}: {line.strip()}")
    assert readers == [], "a dual path goes through a core.db.Seam:\n" + "\n".join(readers)
