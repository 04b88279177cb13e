"""The importer's batch statements do the same on both implementations (the ORM's and
PostgreSQL's, ``webhooks.imports.writers.batch``)."""

import uuid
from dataclasses import dataclass

import pytest
from django.utils import timezone

from buddy.models import CheckIn, DataSource, Match, MatchTransition
from core.db import SEAMS
from tests.factories import CheckInFactory, MatchFactory, ParticipantFactory
from webhooks.imports.report import BatchResult

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_batch_writes")]


@dataclass
class _Item:
    weight: int = 1


def _impl():
    return SEAMS["imports.batch_writes"].impl


def test_update_rows_writes_only_the_named_fields_and_moves_updated_at():
    checkin = CheckInFactory(mood="good", notes="Settling in.")
    before = checkin.updated_at
    _impl().update_rows(CheckIn, {checkin.pk: {"mood": "great"}}, ["mood"])
    checkin.refresh_from_db()
    assert (checkin.mood, checkin.notes) == ("great", "Settling in.")
    assert checkin.updated_at > before


def test_upsert_creates_updates_and_leaves_unchanged_rows_alone():
    match = MatchFactory()
    same, changed = CheckInFactory(match=match), CheckInFactory(match=match, mood="good")
    new_id = uuid.uuid4()

    def row(external_id, mood, date):
        values = {"match_id": match.pk, "checkin_date": date, "mood": mood}
        return (_Item(), {"external_id": external_id}, values)

    rows = [
        row(same.external_id, same.mood, same.checkin_date),
        row(changed.external_id, "great", changed.checkin_date),
        row(new_id, "okay", timezone.now()),
    ]
    result = BatchResult()
    existing = CheckIn.objects.filter(external_id__in=[r[1]["external_id"] for r in rows])
    untouched = CheckIn.objects.get(pk=same.pk).updated_at

    _impl().upsert(CheckIn, rows, existing, result, via=DataSource.IMPORT)

    assert {k: v for k, v in result.counts.items() if v} == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
    }
    assert CheckIn.objects.get(pk=changed.pk).mood == "great"
    assert CheckIn.objects.get(pk=same.pk).updated_at == untouched
    assert CheckIn.objects.get(external_id=new_id).source == DataSource.IMPORT


def test_create_matches_writes_each_match_and_its_imported_transition(program):
    match = Match(
        external_id=uuid.uuid4(),
        program=program,
        participant=ParticipantFactory(),
        buddy=ParticipantFactory(),
        status="active",
        matched_at=timezone.now(),
        source=DataSource.IMPORT,
    )
    transitions = [
        MatchTransition(
            match=match,
            from_status="",
            to_status="active",
            at=match.matched_at,
            via=DataSource.IMPORT,
            reason="imported",
        )
    ]
    _impl().create_matches([match], transitions, via=DataSource.IMPORT)
    MatchTransition.objects.bulk_create(transitions)  # what the writer does with the rest
    stored = Match.objects.get(external_id=match.external_id)
    assert list(stored.transitions.values_list("from_status", "to_status", "reason")) == [
        ("", "active", "imported")
    ]


JSON_VALUES = [
    {},
    {"mood_score": 4, "note": 'quoted "text", a back\\slash,\ttab and\nline', "ü": ["ß", None]},
    {"nested": {"empty_list": [], "empty_object": {}, "number": 1.5, "flag": False}},
]


@pytest.mark.parametrize("responses", JSON_VALUES, ids=["empty", "escapes", "nested"])
def test_json_columns_are_stored_as_given_and_compare_unchanged_on_a_second_upsert(responses):
    """COPY sends JSON columns as text (``_json_text``): the stored value is the one the
    ORM stores, and upserting it again finds it unchanged."""
    match = MatchFactory()
    external_id = uuid.uuid4()
    values = {"match_id": match.pk, "checkin_date": timezone.now(), "question_responses": responses}
    rows = [(_Item(), {"external_id": external_id}, values)]
    existing = CheckIn.objects.filter(external_id=external_id)

    first, again = BatchResult(), BatchResult()
    _impl().upsert(CheckIn, rows, existing, first, via=DataSource.IMPORT)
    _impl().upsert(CheckIn, rows, existing, again, via=DataSource.IMPORT)

    assert CheckIn.objects.get(external_id=external_id).question_responses == responses
    assert (first.counts["created"], again.counts["unchanged"]) == (1, 1)
