"""Payloads of the events this app publishes: built in one place, camelCase, ids only.

People and matches are named by a reference ``{"id": <our id>, "buddySystemId": <the
Buddy System's id or null>}``: consumers that know the Buddy System join on its ids, the
others call our API with ours. No names, emails or free text: consumers fetch details over
the API with their own permissions. ``enrollments.recompute_sql`` builds the same
enrollment payload in SQL (the equivalence test compares both).
"""

from datetime import UTC, datetime


def iso(at: datetime) -> str:
    """Timestamps in payloads: UTC, milliseconds, ``Z``."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ref(pk: int, buddy_system_id) -> dict:
    return {"id": pk, "buddySystemId": None if buddy_system_id is None else str(buddy_system_id)}


def match_data(
    *,
    match,
    from_status: str,
    at: datetime,
    via: str,
    people: dict[int, str | None],
) -> dict:
    """``match.*``: the match, its program and people, the move and what made it."""
    data = {
        "match": ref(match.pk, match.external_id),
        "programId": match.program_id,
        "participant": ref(match.participant_id, people.get(match.participant_id)),
        "buddy": ref(match.buddy_id, people.get(match.buddy_id)),
        "fromStatus": from_status or None,
        "status": match.status,
        "changedAt": iso(at),
        "source": via,
    }
    if match.status == "ended":
        data["endReason"] = match.end_reason or None
    return data


def enrollment_data(
    *,
    enrollment_id: int,
    program_id: int,
    person_id: int,
    person_buddy_system_id: str | None,
    from_status: str,
    to_status: str,
    at: datetime,
) -> dict:
    """``enrollment.status_changed``: the enrollment, its program and person, the move."""
    return {
        "enrollmentId": enrollment_id,
        "programId": program_id,
        "person": ref(person_id, person_buddy_system_id),
        "fromStatus": from_status or None,
        "status": to_status,
        "changedAt": iso(at),
    }
