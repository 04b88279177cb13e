"""Every URL has an owner: each URL pattern × each kind of login answers what the table says.

The table names every URL pattern of the URLconf (the admin's by one rule: Django's staff
machinery owns it). A pattern that is not in the table fails the suite, so nobody adds a page
or an endpoint without deciding who may use it; an entry whose pattern is gone fails too.
Rows of program A are used throughout: coordinator B must get 404 (existence is not revealed),
the viewer 403 on writes, company users and logins without a role 403, anonymous clients 401
(API) or a redirect to the login page (pages).
"""

from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from buddy.models import MatchStatus, Program, ProgramType
from tests.factories import (
    BuddyFactory,
    CheckInFactory,
    CompanyFactory,
    EnrollmentFactory,
    EventAttendanceFactory,
    FeedbackFactory,
    InformalEventFactory,
    MatchFactory,
    MilestoneAchievementFactory,
    ParticipantFactory,
    SkillSessionFactory,
    UserFactory,
    WebhookConflictFactory,
    WebhookDeliveryFactory,
    WebhookEventFactory,
    company_user_of,
    coordinator_of,
    viewer_of,
)

ROLES = ("anonymous", "no_role", "viewer", "coordinator_a", "coordinator_b", "company", "superuser")

# Expected answers, in the order of ROLES.
API_READ = (401, 403, 200, 200, 200, 403, 200)  # lists of program data
API_DETAIL = (401, 403, 200, 200, 404, 403, 200)  # a row of program A
API_ACTION = (401, 403, 403, 200, 404, 403, 200)  # a state change of a row of program A
PAGE = (302, 403, 200, 200, 200, 403, 200)  # coordinator pages (GET)
PAGE_ACTION_ON_A = (302, 403, 403, 302, 404, 403, 302)  # a page's POST on a row of A
PAGE_DETAIL = (302, 403, 200, 200, 404, 403, 200)  # a page about a row of program A
# A page's form POST on a row of A, sent without the form's fields: refused with 400 once
# the login may act on the row (the table's client sends JSON, which forms do not read).
PAGE_FORM_ON_A = (302, 403, 403, 400, 404, 403, 400)
ANY_ROLE_API = (401, 403, 200, 200, 200, 200, 200)
ANY_ROLE_PAGE = (302, 403, 200, 200, 200, 200, 200)
PUBLIC = (200,) * 7
STAFF = (401, 403, 403, 403, 403, 403, 200)  # superusers and staff with model permissions
# Pages of the same work: superusers, and coordinators holding the model permission (none of
# the table's coordinators does: tests/ui/test_subscriber_pages.py grants one).
STAFF_PAGE = (302, 403, 403, 403, 403, 403, 200)
STAFF_PAGE_ACTION = (302, 403, 403, 403, 403, 403, 302)  # its POSTs that redirect
STAFF_PAGE_FORM = (302, 403, 403, 403, 403, 403, 400)  # its form POSTs without the fields


@dataclass(frozen=True)
class Entry:
    method: str
    expected: tuple[int, ...]
    data: dict = field(default_factory=dict)
    kwargs: str = ""  # which row of program A the URL names (see World.kwargs)


TABLE: dict[str, Entry] = {
    # accounts
    "login": Entry("GET", PUBLIC),
    "logout": Entry("POST", (302,) * 7),
    "set_language": Entry("POST", (302,) * 7),
    # company users land on their impact page instead
    "enrollments:dashboard": Entry("GET", (302, 403, 200, 200, 200, 302, 200)),
    "buddy:people": Entry("GET", PAGE),
    "buddy:person": Entry("GET", PAGE_DETAIL, kwargs="person"),
    "buddy:matches": Entry("GET", PAGE),
    "buddy:match": Entry("GET", PAGE_DETAIL, kwargs="match"),
    "buddy:match-action": Entry("POST", PAGE_FORM_ON_A, kwargs="match"),
    "buddy:tokens": Entry("GET", ANY_ROLE_PAGE),
    "buddy:token-revoke": Entry("POST", (302, 403, 404, 404, 404, 404, 404), kwargs="digest"),
    # API schema and root
    "api-schema": Entry("GET", ANY_ROLE_API),
    "api-docs": Entry("GET", ANY_ROLE_API),
    "api-root": Entry("GET", API_READ),
    # people and matches
    "person-list": Entry("GET", API_READ),
    "person-detail": Entry("GET", API_DETAIL, kwargs="person"),
    # personal data rights: export (coordinators of the person's program), erasure (superusers
    # and coordinators given privacy.erase_person; {} is refused before anything is erased)
    "person-export": Entry("GET", (401, 403, 403, 200, 404, 403, 200), kwargs="person"),
    "person-erase": Entry("POST", (401, 403, 403, 403, 403, 403, 400), kwargs="person"),
    # the person page's buttons for the same (the page's form POST without its field: 400)
    "privacy:person-export": Entry("GET", (302, 403, 403, 200, 404, 403, 200), kwargs="person"),
    "privacy:person-erase": Entry("POST", (302, 403, 403, 403, 403, 403, 400), kwargs="person"),
    "match-list": Entry(
        "POST", (401, 403, 403, 201, 400, 403, 201), data={"participant": 0, "buddy": 0}
    ),
    "match-detail": Entry("GET", API_DETAIL, kwargs="match"),
    "match-accept": Entry("POST", API_ACTION, kwargs="proposed"),
    "match-decline": Entry("POST", API_ACTION, data={"note": "not a fit"}, kwargs="proposed"),
    "match-activate": Entry("POST", API_ACTION, kwargs="proposed"),
    "match-deactivate": Entry("POST", API_ACTION, kwargs="match"),
    "match-end": Entry("POST", API_ACTION, data={"end_reason": "completed"}, kwargs="match"),
    # concerns (cases)
    "concern-list": Entry(
        "POST", (401, 403, 403, 201, 404, 403, 201), data={"category": "other", "severity": "low"}
    ),
    "concern-detail": Entry("GET", API_DETAIL, kwargs="concern"),
    "concern-acknowledge": Entry("POST", API_ACTION, kwargs="concern"),
    "concern-meetings": Entry(
        "POST",
        (401, 403, 403, 201, 404, 403, 201),
        data={"held_at": "2026-01-05T10:00:00Z"},
        kwargs="acknowledged_concern",
    ),
    "concern-resolve": Entry("POST", API_ACTION, data={"outcome": "continues"}, kwargs="concern"),
    "concern-rematch-suggestions": Entry("POST", API_ACTION, kwargs="rematch_concern"),
    "enrollments:api-health": Entry("GET", API_READ),
    "enrollments:api-feedback-analysis": Entry("GET", API_READ),
    # the case pages (issue 21)
    "concerns:list": Entry("GET", PAGE),
    # Without ?match= or ?person= the form has no subject: 400 once the login may raise one.
    "concerns:new": Entry("GET", (302, 403, 403, 400, 400, 403, 400)),
    "concerns:detail": Entry("GET", PAGE_DETAIL, kwargs="concern"),
    "concerns:action": Entry("POST", PAGE_FORM_ON_A, kwargs="concern"),
    "enrollments:api-q2q-evidence": Entry("GET", API_READ),
    # imports
    "import-run-list": Entry("GET", API_READ),
    "import-run-detail": Entry("GET", API_DETAIL, kwargs="import_run"),
    # the imports pages (uploads into the switcher's program; a run of A: 404 for B)
    "webhooks:imports": Entry("GET", PAGE),
    "webhooks:import-run": Entry("GET", PAGE_DETAIL, kwargs="import_run"),
    "webhooks:import-run-progress": Entry("GET", PAGE_DETAIL, kwargs="import_run"),
    # enrollments: attention, impact
    "enrollments:attention": Entry("GET", PAGE),
    "enrollments:attention-snooze": Entry("POST", (302, 403, 403, 400, 400, 403, 400)),
    "enrollments:attention-remind": Entry("POST", (302, 403, 403, 400, 400, 403, 400)),
    "enrollments:api-attention": Entry("GET", API_READ),
    "enrollments:api-impact": Entry("GET", ANY_ROLE_API),
    "enrollments:impact": Entry("GET", ANY_ROLE_PAGE),  # company users: their company only
    # webhooks: the receiver is signed (401 without a signature, whoever asks)
    "webhooks:buddy-events": Entry("POST", (401,) * 7),
    "webhooks:stats": Entry("GET", API_READ),
    "webhooks:health": Entry("GET", PUBLIC),
    "webhooks:health-ready": Entry("GET", PUBLIC),
    "webhooks:metrics": Entry("GET", (403, 403, 403, 403, 403, 403, 200)),
    "webhooks:webhook-event-list": Entry("GET", API_READ),
    "webhooks:webhook-event-detail": Entry("GET", API_DETAIL, kwargs="event"),
    "webhooks:webhook-event-replay": Entry("POST", API_ACTION, kwargs="event"),
    "webhooks:review": Entry("GET", PAGE),
    "webhooks:review-replay-bulk": Entry("POST", (302, 403, 403, 302, 302, 403, 302)),
    "webhooks:review-replay": Entry("POST", PAGE_ACTION_ON_A, kwargs="event_uuid"),
    "webhooks:review-conflicts": Entry("GET", PAGE),
    "webhooks:review-conflict-reviewed": Entry("POST", PAGE_ACTION_ON_A, kwargs="conflict"),
    # outbound events: the pull feed (program roles, scoped), subscribers and deliveries (staff
    # with model permissions: a subscriber receives every program's events)
    "webhooks:event-feed": Entry("GET", API_READ),
    "webhooks:webhook-subscriber-list": Entry("GET", STAFF),
    "webhooks:webhook-subscriber-detail": Entry("GET", STAFF, kwargs="endpoint"),
    "webhooks:webhook-subscriber-rotate-secret": Entry("POST", STAFF, kwargs="endpoint"),
    "webhooks:webhook-subscriber-drop-old-secrets": Entry("POST", STAFF, kwargs="endpoint"),
    "webhooks:webhook-subscriber-enable": Entry("POST", STAFF, kwargs="endpoint"),
    "webhooks:webhook-subscriber-disable": Entry("POST", STAFF, kwargs="endpoint"),
    "webhooks:outbound-delivery-list": Entry("GET", STAFF),
    "webhooks:outbound-delivery-detail": Entry("GET", STAFF, kwargs="delivery"),
    "webhooks:outbound-delivery-resend": Entry("POST", STAFF, kwargs="delivery"),
    # the coordinator UI's pages of the same (a secret page answers the rotation's POST: 200)
    "webhooks:subscribers": Entry("GET", STAFF_PAGE),
    "webhooks:subscriber-add": Entry("POST", STAFF_PAGE_FORM),
    "webhooks:subscriber-edit": Entry("POST", STAFF_PAGE_FORM, kwargs="endpoint"),
    "webhooks:subscriber-enable": Entry("POST", STAFF_PAGE_ACTION, kwargs="endpoint"),
    "webhooks:subscriber-disable": Entry("POST", STAFF_PAGE_ACTION, kwargs="endpoint"),
    "webhooks:subscriber-rotate-secret": Entry("POST", STAFF_PAGE, kwargs="endpoint"),
    "webhooks:subscriber-drop-old-secrets": Entry("POST", STAFF_PAGE_ACTION, kwargs="endpoint"),
    "webhooks:subscriber-deliveries": Entry("GET", STAFF_PAGE, kwargs="endpoint"),
    "webhooks:subscriber-delivery-resend": Entry("POST", STAFF_PAGE_ACTION, kwargs="delivery"),
    # issue 18: every resource (lists: program roles, scoped; details of A: 404 for B)
    "company-list": Entry("GET", API_READ),
    "company-detail": Entry("GET", API_DETAIL, kwargs="company"),
    "externalid-list": Entry("GET", API_READ),
    "externalid-detail": Entry("GET", API_DETAIL, kwargs="external_id"),
    "match-pause": Entry("POST", API_ACTION, kwargs="match"),
    "match-resume": Entry("POST", API_ACTION, kwargs="paused"),
    "match-transitions": Entry("GET", API_DETAIL, kwargs="match"),
    "informalevent-list": Entry("GET", API_READ),
    "informalevent-detail": Entry("GET", API_DETAIL, kwargs="informal_event"),
    "eventattendance-list": Entry("GET", API_READ),
    "eventattendance-detail": Entry("GET", API_DETAIL, kwargs="attendance"),
    "skillsession-list": Entry("GET", API_READ),
    "skillsession-detail": Entry("GET", API_DETAIL, kwargs="skill_session"),
    "checkin-list": Entry("GET", API_READ),
    "checkin-detail": Entry("GET", API_DETAIL, kwargs="checkin"),
    "feedback-list": Entry("GET", API_READ),
    "feedback-detail": Entry("GET", API_DETAIL, kwargs="feedback"),
    "milestoneachievement-list": Entry("GET", API_READ),
    "milestoneachievement-detail": Entry("GET", API_DETAIL, kwargs="milestone"),
    "program-list": Entry("GET", API_READ),
    "program-detail": Entry("GET", API_DETAIL, kwargs="program"),
    "enrollment-list": Entry("GET", API_READ),
    "enrollment-detail": Entry("GET", API_DETAIL, kwargs="enrollment"),
    "journeyflags-list": Entry("GET", API_READ),
    "journeyflags-detail": Entry("GET", API_DETAIL, kwargs="enrollment"),
    "criteria-list": Entry("GET", API_READ),
    "criteria-detail": Entry("GET", API_DETAIL, kwargs="criteria"),
    "recommendation-run-list": Entry("GET", API_READ),
    "recommendation-run-detail": Entry("GET", API_DETAIL, kwargs="run"),
    "recommendation-run-unmatched": Entry("GET", API_DETAIL, kwargs="run"),
    "proposal-list": Entry("GET", API_READ),
    "proposal-detail": Entry("GET", API_DETAIL, kwargs="proposal"),
    "proposal-accept": Entry("POST", (401, 403, 403, 201, 404, 403, 201), kwargs="proposal"),
    "proposal-dismiss": Entry("POST", API_ACTION, data={"reason": "not a fit"}, kwargs="proposal"),
    # without ?participant= a reader gets 400 naming the parameter (tests/api cover the 200)
    "recommendation-top": Entry("GET", (401, 403, 400, 400, 400, 403, 400)),
    # the matching board (issue 19): a form POST without its fields is refused with 400 once
    # the login may change (``program`` is required before anything is started)
    "matching:board": Entry("GET", PAGE),
    "matching:run-start": Entry("POST", (302, 403, 403, 400, 400, 403, 400)),
    "matching:run-progress": Entry("GET", PAGE_DETAIL, kwargs="run"),
    "matching:proposals-accept": Entry("POST", PAGE_FORM_ON_A, kwargs="run"),
    "matching:proposal-accept": Entry("POST", PAGE_ACTION_ON_A, kwargs="proposal"),
    "matching:proposal-dismiss": Entry("POST", PAGE_FORM_ON_A, kwargs="proposal"),
    "matching:criteria": Entry("GET", PAGE),
    "matching:person-suggestions": Entry("GET", PAGE_DETAIL, kwargs="person"),
    "matching:suggestion-accept": Entry("POST", PAGE_FORM_ON_A, kwargs="person"),
    "webhooks:webhook-delivery-list": Entry("GET", API_READ),
    "webhooks:webhook-delivery-detail": Entry("GET", API_DETAIL, kwargs="webhook_delivery"),
    "webhooks:webhook-delivery-replay": Entry("POST", API_ACTION, kwargs="webhook_delivery"),
}

#: The reads of URLs the table walks with a write (a list that also creates): they answer
#: as any list of program data, and the scoping and masking tests read them too.
ALSO_READ: dict[str, Entry] = {
    "match-list": Entry("GET", API_READ),
    "concern-list": Entry("GET", API_READ),
}


def url_patterns(patterns=None, namespace=""):
    """Every (route, name, converters) of the URLconf, the admin's marked by namespace."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from url_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name or ''}", pattern


def _kwargs_names(pattern: URLPattern) -> set[str]:
    regex = pattern.pattern.regex
    return set(regex.groupindex)


ALL = sorted({name for name, _p in url_patterns()})
OURS = [name for name in ALL if not name.startswith("admin:")]
ADMIN = [name for name in ALL if name.startswith("admin:")]


class World:
    """Program A (buddy) with a row of every kind, program B (mentorship), and a login of
    every kind."""

    def __init__(self):
        self.a = Program.objects.get(program_type=ProgramType.BUDDY)
        self.b = Program.objects.get(program_type=ProgramType.MENTORSHIP)
        company = CompanyFactory(name="Globex")
        participant, buddy = ParticipantFactory(), BuddyFactory(company=company)
        other_participant, self.unmatched = ParticipantFactory(), ParticipantFactory()
        for person in (participant, buddy, other_participant, self.unmatched):
            EnrollmentFactory(person=person, program=self.a)
        self.participant, self.buddy = participant, buddy
        self.match = MatchFactory(program=self.a, participant=participant, buddy=buddy)
        free_buddy = BuddyFactory()
        EnrollmentFactory(person=free_buddy, program=self.a)
        self.proposed = MatchFactory(
            program=self.a,
            participant=other_participant,
            buddy=free_buddy,
            status=MatchStatus.PROPOSED,
            source="coordinator",
            matched_at=None,
        )
        self.event = WebhookEventFactory(match_id=self.match.external_id)
        self.webhook_delivery = WebhookDeliveryFactory(event=self.event)
        self.conflict = WebhookConflictFactory(event=self.event)
        from buddy.models import ImportRun
        from core.outbox import publish
        from webhooks.outbound import endpoint_create
        from webhooks.outbound_models import OutboundDelivery

        self.import_run = ImportRun.objects.create(program=self.a, file_name="export.zip")
        self.endpoint, _secret = endpoint_create(url="http://127.0.0.1:9/hook")
        outbox_event = publish(type="match.paused", data={}, program_id=self.a.pk)
        self.delivery = OutboundDelivery.objects.create(
            event=outbox_event, endpoint=self.endpoint, due_at=timezone.now()
        )
        self.spare_buddy = BuddyFactory()
        EnrollmentFactory(person=self.spare_buddy, program=self.a)
        self._issue_18_rows()
        from concerns.services import concern_acknowledge, concern_open

        self.concern = concern_open(
            program=self.a, match=self.match, category="communication", severity="low"
        )
        self.acknowledged_concern = concern_acknowledge(
            concern=concern_open(
                program=self.a, match=self.match, category="reliability", severity="low"
            )
        )
        from concerns.services import concern_resolve

        # Fixed names: random ones could be words of the schema (the viewer-leak check).
        rematched = ParticipantFactory(first_name="Qzrematchp", last_name="Qzrematchl")
        EnrollmentFactory(person=rematched, program=self.a)
        self.rematch_concern = concern_resolve(
            concern=concern_open(
                program=self.a,
                match=MatchFactory(
                    program=self.a,
                    participant=rematched,
                    buddy=BuddyFactory(first_name="Qzformerb", last_name="Qzformerl"),
                ),
                category="other",
                severity="low",
            ),
            outcome="rematch",
        )
        self.users = {
            "anonymous": None,
            "no_role": UserFactory(username="no-role"),
            "viewer": viewer_of(self.a, username="viewer-a"),
            "coordinator_a": coordinator_of(self.a, username="coordinator-a"),
            "coordinator_b": coordinator_of(self.b, username="coordinator-b"),
            "company": company_user_of(company, username="company"),
            "superuser": UserFactory(username="root", is_superuser=True, is_staff=True),
        }

    def _issue_18_rows(self):
        """A row of program A of every resource family of the REST API (issue 18)."""
        from buddy.models import ExternalId
        from enrollments.models import JourneyFlags
        from matching.models import Proposal
        from matching.services import run_create

        now = timezone.now()
        self.company = self.buddy.company
        self.external_id = ExternalId.objects.filter(person=self.participant).first()
        paused_buddy = BuddyFactory()
        paused_participant = ParticipantFactory()
        for person in (paused_buddy, paused_participant):
            EnrollmentFactory(person=person, program=self.a)
        self.paused = MatchFactory(
            program=self.a,
            participant=paused_participant,
            buddy=paused_buddy,
            status=MatchStatus.INACTIVE,
        )
        self.enrollment = self.participant.enrollments.get(program=self.a)
        JourneyFlags.objects.get_or_create(
            enrollment=self.enrollment, defaults={"joined_at": now, "changed_at": now}
        )
        self.run = run_create(program=self.a)
        self.criteria = self.run.criteria
        self.proposal = Proposal.objects.create(
            run=self.run,
            program=self.a,
            participant=self.unmatched,
            buddy=self.spare_buddy,
            score=80.0,
        )

    #: Activity rows of program A's match, made only when a URL names one (tests that count
    #: a match's activities build their own).
    ACTIVITIES = {
        "informal_event": lambda w: InformalEventFactory(match=w.match),
        "attendance": lambda w: EventAttendanceFactory(person=w.participant),
        "skill_session": lambda w: SkillSessionFactory(match=w.match),
        "checkin": lambda w: CheckInFactory(match=w.match),
        "feedback": lambda w: FeedbackFactory(match=w.match),
        "milestone": lambda w: MilestoneAchievementFactory(person=w.participant),
    }

    def _activity_pk(self, kind: str) -> int:
        if kind not in self.__dict__:
            self.__dict__[kind] = self.ACTIVITIES[kind](self)
        return self.__dict__[kind].pk

    def kwargs(self, entry: Entry, pattern: URLPattern) -> dict:
        names = _kwargs_names(pattern)
        if entry.kwargs in self.ACTIVITIES and names - {"format"}:
            return {n: "json" if n == "format" else self._activity_pk(entry.kwargs) for n in names}
        values = {
            "company": self.company.pk,
            "external_id": self.external_id.pk,
            "paused": self.paused.pk,
            "program": self.a.pk,
            "enrollment": self.enrollment.pk,
            "criteria": self.criteria.pk,
            "run": self.run.pk,
            "proposal": self.proposal.pk,
            "webhook_delivery": self.webhook_delivery.pk,
            "person": self.participant.pk,
            "match": self.match.pk,
            "proposed": self.proposed.pk,
            "import_run": self.import_run.pk,
            "event": str(self.event.event_id),
            "event_uuid": self.event.event_id,
            "conflict": self.conflict.pk,
            "digest": "0" * 128,
            "endpoint": self.endpoint.pk,
            "delivery": self.delivery.pk,
            "concern": self.concern.pk,
            "acknowledged_concern": self.acknowledged_concern.pk,
            "rematch_concern": self.rematch_concern.pk,
        }
        kwargs = {}
        for name in names:
            if name == "format":
                kwargs[name] = "json"
            else:
                kwargs[name] = values[entry.kwargs]
        return kwargs

    def data(self, entry: Entry) -> dict:
        if "participant" in entry.data:
            return {"participant": self.unmatched.pk, "buddy": self.spare_buddy.pk}
        if "category" in entry.data:
            return {**entry.data, "match": self.match.pk}
        return entry.data


def _call(client: Client, method: str, url: str, data: dict):
    if method == "GET":
        return client.get(url)
    return client.post(url, data, content_type="application/json")


def test_every_url_pattern_is_in_the_table():
    missing = sorted(set(OURS) - set(TABLE))
    assert not missing, f"URLs nobody decided about (add them to TABLE): {missing}"


def test_every_table_entry_names_a_url_pattern():
    assert not sorted(set(TABLE) - set(OURS)), "stale TABLE entries"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "pattern"),
    [(n, p) for n, p in url_patterns() if not n.startswith("admin:")],
    ids=lambda value: value if isinstance(value, str) else str(value.pattern),
)
def test_each_url_answers_each_role_as_the_table_says(name, pattern):
    world = World()
    entry = TABLE[name]
    url = reverse(name, kwargs=world.kwargs(entry, pattern))
    answers = {}
    for role in ROLES:
        # each role's request is rolled back: every role meets the same rows
        with transaction.atomic(), _fresh(world, role) as client:
            answers[role] = _call(client, entry.method, url, world.data(entry)).status_code
            transaction.set_rollback(True)
    assert answers == dict(zip(ROLES, entry.expected, strict=True)), url


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ALSO_READ))
def test_the_list_of_a_writable_resource_answers_each_role_as_a_list(name):
    world = World()
    url = reverse(name)
    answers = {}
    for role in ROLES:
        with _fresh(world, role) as client:
            answers[role] = client.get(url).status_code
    assert answers == dict(zip(ROLES, ALSO_READ[name].expected, strict=True)), url


def test_also_read_names_urls_the_table_walks_with_a_write():
    assert all(TABLE[name].method != "GET" for name in ALSO_READ)


@pytest.mark.django_db
def test_the_admin_is_for_superusers_and_staff_with_permissions_only():
    """The admin's own rule: every role here (none is staff) is sent to the admin login;
    the superuser gets the page (or its redirect for an object that does not exist)."""
    world = World()
    login = reverse("admin:login")
    for name, pattern in url_patterns():
        if not name.startswith("admin:") or name in ("admin:", "admin:login", "admin:logout"):
            continue  # "admin:": the admin's unnamed catch-all (a 404 for everyone)
        kwargs = {k: _admin_value(k) for k in _kwargs_names(pattern)}
        url = reverse(name, kwargs=kwargs)
        for role in ROLES:
            with _fresh(world, role) as client:
                response = client.get(url)
            to_login = response.status_code == 302 and response.url.startswith(login)
            if role == "superuser":
                assert not to_login and response.status_code < 500, (url, response.status_code)
            else:
                assert to_login, (role, url, response.status_code)


def _admin_value(name: str):
    return {"app_label": "buddy", "object_id": "1", "content_type_id": "1"}.get(name, "1")


class _fresh:
    """A client logged in as the role's user (a new one each time: no session carries over)."""

    def __init__(self, world: World, role: str):
        self.client = Client()
        user = world.users[role]
        if user is not None:
            self.client.force_login(user)

    def __enter__(self) -> Client:
        return self.client

    def __exit__(self, *exc):
        return False
