"""Emails compare case- and space-insensitively: two user rows with one email are one person."""

import pytest

from buddy.models import ExternalId, Person

#: The writers behave the same with either implementation of their batch statements.
pytestmark = pytest.mark.usefixtures("each_batch_writes")

A = "5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e01"
B = "5f0c2a8e-1d4b-4c1e-9a53-0b6f1c9d2e99"


def _user(uid, email, **extra):
    return {
        "id": uid,
        "email": email,
        "first_name": "Olena",
        "last_name": "K",
        "role": "participant",
        "joined_at": "2025-02-10T09:00:00Z",
        **extra,
    }


def test_duplicate_emails_in_another_case_merge_into_one_person(run_import, export):
    report = run_import(
        export({"users": [_user(A, "olena.k@example.org"), _user(B, " OLENA.K@Example.ORG ")]})
    )

    person = Person.objects.get()
    assert person.email == "olena.k@example.org"
    assert sorted(ExternalId.objects.values_list("external_id", flat=True)) == [A, B]
    assert report.merges.as_list() == [
        f"users.csv:3: user {B} merged into person #{person.pk} (same email)"
    ]
    assert report.entities["users"]["created"] == 1
    assert report.entities["users"]["updated"] == 1


def test_a_user_with_the_email_of_an_existing_person_is_merged(run_import, export):
    run_import(export({"users": [_user(A, "olena.k@example.org")]}))

    report = run_import(export({"users": [_user(B, "Olena.K@example.org", location="Kyiv")]}))

    person = Person.objects.get()
    assert person.external_ids.count() == 2
    assert person.location == "Kyiv"
    assert len(report.merges) == 1


def test_a_merged_export_imported_again_is_unchanged(run_import, export):
    path = export({"users": [_user(A, "olena.k@example.org"), _user(B, "OLENA.K@example.org")]})
    run_import(path)

    again = run_import(path)

    assert again.entities["users"]["unchanged"] == 2
    assert not again.merges.as_list()


def test_a_later_row_with_the_same_id_updates_the_earlier_one(run_import, export):
    path = export(
        {
            "users": [
                _user(A, "olena.k@example.org", location="Berlin"),
                _user(A, "olena.k@example.org", location="Hamburg"),
            ]
        }
    )

    first = run_import(path)
    again = run_import(path)

    assert Person.objects.get().location == "Hamburg"
    assert (first.entities["users"]["created"], first.entities["users"]["updated"]) == (1, 1)
    assert again.entities["users"]["unchanged"] == 2
    assert not first.rejections.as_list()
