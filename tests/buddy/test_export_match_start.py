"""An export never makes a match start after the end a webhook already recorded."""

from datetime import timedelta

import pytest

from buddy.models import Match, MatchStatus
from buddy.services.matches import (
    EXPORT_MATCH_FIELDS,
    export_match_values,
    match_record_export,
)
from tests.buddy.test_reported_matches import export_row
from tests.factories import MatchFactory

pytestmark = pytest.mark.django_db
S = MatchStatus


def test_a_later_export_start_than_the_webhooks_end_keeps_the_stored_start(program):
    match = MatchFactory(ended=True)
    matched_at, ended_at = match.matched_at, match.ended_at
    row = export_row(
        match,
        status="ended",
        matched_at=(ended_at + timedelta(days=2)).isoformat(),
        ended_at=(ended_at + timedelta(days=5)).isoformat(),
        end_reason="completed",
    )

    result = match_record_export(record=row, program=program)

    match.refresh_from_db()
    assert (match.matched_at, match.ended_at) == (matched_at, ended_at)
    assert result.obj.status == S.ENDED


def test_an_export_start_before_the_kept_end_is_taken(program):
    match = MatchFactory(ended=True)
    earlier = match.matched_at - timedelta(days=1)
    row = export_row(match, status="ended", matched_at=earlier.isoformat())

    values = export_match_values(match, row)

    assert (values["matched_at"], values["ended_at"]) == (earlier, match.ended_at)
    assert values["status"] == S.ENDED


@pytest.mark.parametrize("ended", [False, True], ids=["active", "ended"])
def test_the_reconciliation_reads_only_the_fields_the_bulk_import_loads(
    ended, django_assert_num_queries
):
    """The bulk import loads ``EXPORT_MATCH_FIELDS`` of the stored matches: reading any
    other field would cost a query per match."""
    stored = MatchFactory(ended=ended, sessions_completed=None, events_attended=None)
    match = Match.objects.only("id", "participant_id", "buddy_id", *EXPORT_MATCH_FIELDS).get(
        pk=stored.pk
    )
    row = export_row(stored, status="ended", ended_at=stored.matched_at.isoformat())

    with django_assert_num_queries(0):
        values = export_match_values(match, row)

    assert set(values) <= set(EXPORT_MATCH_FIELDS)
