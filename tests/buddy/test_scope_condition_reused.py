"""``enrolled_in_scope`` builds its ``EXISTS`` once per set of programs and reuses it
(``buddy.selectors._enrolled_in``): each query resolves its own copy, so logins of other
programs, lists of other rows and pages one after the other stay apart."""

import pytest

from buddy.models import EventAttendance, Program, ProgramType
from tests.factories import (
    EnrollmentFactory,
    EventAttendanceFactory,
    ParticipantFactory,
    coordinator_of,
)

pytestmark = pytest.mark.django_db


def _ids(client, path: str) -> list[int]:
    return sorted(row["id"] for row in client.get(path).json()["results"])


def test_logins_of_other_programs_read_their_own_people_page_after_page(client):
    buddy = Program.objects.get(program_type=ProgramType.BUDDY)
    mentorship = Program.objects.get(program_type=ProgramType.MENTORSHIP)
    ours = EnrollmentFactory(person=ParticipantFactory(), program=buddy).person
    theirs = EnrollmentFactory(person=ParticipantFactory(), program=mentorship).person
    attended = EventAttendanceFactory(person=ours)
    EventAttendanceFactory(person=theirs)
    for _ in range(2):  # the second time through the reused condition
        client.force_login(coordinator_of(buddy))
        assert _ids(client, "/api/people/") == [ours.pk]
        assert _ids(client, "/api/attendances/") == [attended.pk]
        client.force_login(coordinator_of(mentorship))
        assert _ids(client, "/api/people/") == [theirs.pk]
    client.force_login(coordinator_of(buddy, mentorship))
    assert _ids(client, "/api/people/") == sorted([ours.pk, theirs.pk])
    assert EventAttendance.objects.count() == 2
