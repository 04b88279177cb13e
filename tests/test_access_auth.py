"""Authentication: personal API tokens (hashed, expiring, revocable), throttling, the login
form's lock-out, the role and token commands, and who may scrape the monitoring endpoints."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from buddy.access import access_for
from buddy.models import ApiToken, Program, RoleGrant
from buddy.services.tokens import token_create
from tests.clients import queries_of_a_repeat_request, token_client
from tests.factories import CompanyFactory, UserFactory, coordinator_of

pytestmark = pytest.mark.django_db


# --- Tokens ---------------------------------------------------------------------------------


def test_a_token_authenticates_its_owner_and_records_its_last_use(coordinator):
    row, token = token_create(user=coordinator, name="dashboard")
    assert token_client(token).get("/api/matches/").status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_the_database_holds_no_usable_token(coordinator):
    _row, token = token_create(user=coordinator, name="script")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")  # noqa: S608 - model table
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert token not in stored
    assert token.startswith("bpm_") and len(token) > 40


def test_an_expired_token_answers_401(coordinator):
    row, token = token_create(user=coordinator, name="short", expires_days=1)
    ApiToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    response = token_client(token).get("/api/matches/")
    assert response.status_code == 401
    assert response.json()["status"] == "error"


def test_a_token_request_reads_the_token_table_once(coordinator):
    _row, token = token_create(user=coordinator, name="script")
    queries = queries_of_a_repeat_request(token)
    assert [q["sql"] for q in queries if ApiToken._meta.db_table in q["sql"]] == [queries[0]["sql"]]


def test_making_a_token_deletes_the_owners_expired_ones(coordinator):
    old, _token = token_create(user=coordinator, name="old", expires_days=1)
    ApiToken.objects.filter(pk=old.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    token_create(user=coordinator, name="kept", expires_days=1)
    token_create(user=coordinator, name="new")
    assert set(ApiToken.objects.values_list("name", flat=True)) == {"kept", "new"}


def test_a_revoked_token_answers_401(client, coordinator):
    row, token = token_create(user=coordinator, name="revoke me")
    client.force_login(coordinator)
    response = client.post(f"/account/tokens/{row.digest}/revoke/")
    assert response.status_code == 302
    assert token_client(token).get("/api/matches/").status_code == 401


def test_a_user_cannot_revoke_another_users_token(client, coordinator):
    row, _token = token_create(user=coordinator, name="mine")
    client.force_login(coordinator_of(Program.objects.first(), username="other"))
    assert client.post(f"/account/tokens/{row.digest}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=row.pk).exists()


def test_the_tokens_page_shows_a_new_token_once(client, coordinator):
    client.force_login(coordinator)
    response = client.post("/account/tokens/", {"name": "reporting", "expires_days": 30})
    assert response.status_code == 200
    token = response.context["created"]
    assert token and token in response.content.decode()
    again = client.get("/account/tokens/").content.decode()
    assert token not in again and "reporting" in again


def test_the_tokens_page_leaves_out_expired_tokens(client, coordinator):
    lapsed, _token = token_create(user=coordinator, name="lapsed", expires_days=1)
    token_create(user=coordinator, name="current", expires_days=1)
    ApiToken.objects.filter(pk=lapsed.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    client.force_login(coordinator)
    listed = [token.name for token in client.get("/account/tokens/").context["tokens"]]
    assert listed == ["current"]


def test_the_tokens_page_keeps_what_was_typed_on_an_error(client, coordinator):
    client.force_login(coordinator)
    response = client.post("/account/tokens/", {"name": "x", "expires_days": 0})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="x"' in html and "greater than or equal to 1" in html
    assert not ApiToken.objects.exists()


def test_token_clients_are_throttled_with_retry_after(coordinator, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min"},
    }
    from rest_framework.settings import api_settings

    from buddy.api.throttling import TokenClientThrottle

    api_settings.reload()
    rates, TokenClientThrottle.THROTTLE_RATES = (
        TokenClientThrottle.THROTTLE_RATES,
        api_settings.DEFAULT_THROTTLE_RATES,
    )
    cache.clear()
    try:
        _row, token = token_create(user=coordinator, name="busy")
        client = token_client(token)
        codes = [client.get("/api/matches/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        response = client.get("/api/matches/")
        assert response.status_code == 429 and int(response["Retry-After"]) > 0
        session = APIClient()
        session.force_login(coordinator)
        assert session.get("/api/matches/").status_code == 200  # sessions are not throttled
    finally:
        TokenClientThrottle.THROTTLE_RATES = rates
        cache.clear()


# --- Login lock-out -------------------------------------------------------------------------


def test_the_login_form_locks_out_after_repeated_failures(client, settings, caplog):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory(username="coord")
    user.set_password("right-password-1")
    user.save()
    for _ in range(3):
        client.post("/accounts/login/", {"username": "coord", "password": "wrong-password-9"})
    response = client.post(
        "/accounts/login/", {"username": "coord", "password": "right-password-1"}
    )
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "wrong-password-9" not in caplog.text and "right-password-1" not in caplog.text


def test_the_login_form_logs_a_coordinator_in(client):
    coordinator = coordinator_of(Program.objects.first(), username="coord")
    coordinator.set_password("right-password-1")
    coordinator.save()
    response = client.post(
        "/accounts/login/", {"username": "coord", "password": "right-password-1"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


# --- Commands -------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_grant_role_gives_a_coordinator_their_programs_and_says_so():
    user = UserFactory(username="maria")
    output = run(
        "grant_role", "maria", "coordinator", "--program", "buddy", "--program", "mentorship"
    )
    access = access_for(user)
    assert access.role == "coordinator" and len(access.program_ids) == 2
    assert "coordinator of" in output and "Buddy Program" in output
    assert user.groups.filter(name="coordinator").exists()


def test_grant_role_names_a_company_by_id_or_name():
    company = CompanyFactory(name="Globex")
    UserFactory(username="hr")
    assert "Globex" in run("grant_role", "hr", "company", "--company", str(company.pk))
    RoleGrant.objects.all().delete()
    assert "Globex" in run("grant_role", "hr", "company", "--company", "globex")


def test_grant_role_revokes():
    user = UserFactory(username="maria")
    run("grant_role", "maria", "viewer", "--program", "buddy")
    output = run("grant_role", "maria", "--revoke", "viewer")
    assert "no role" in output and not access_for(user).has_role
    assert not user.groups.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nobody", "viewer", "--program", "buddy"), "No login named 'nobody'"),
        (("maria", "viewer", "--program", "chess-club"), "No program 'chess-club'"),
        (("maria", "company", "--company", "Nope Inc"), "No company 'Nope Inc'"),
        (("maria", "viewer"), "is granted one or more programs"),
    ],
)
def test_grant_role_refuses_unknown_names_with_one_line(args, message):
    UserFactory(username="maria")
    with pytest.raises(CommandError, match=message) as error:
        run("grant_role", *args)
    assert "\n" not in str(error.value)
    assert not RoleGrant.objects.exists()


def test_grant_role_refuses_a_second_role():
    UserFactory(username="maria")
    run("grant_role", "maria", "coordinator", "--program", "buddy")
    with pytest.raises(CommandError, match="revoke that role"):
        run("grant_role", "maria", "viewer", "--program", "buddy")


def test_an_unknown_role_is_refused_by_the_command_line():
    UserFactory(username="maria")
    with pytest.raises(CommandError, match="No role 'janitor'"):
        run("grant_role", "maria", "janitor", "--program", "buddy")
    with pytest.raises(CommandError, match="No role 'janitor'"):
        run("grant_role", "maria", "--revoke", "janitor")


def test_an_unknown_role_exits_1_with_one_line_for_scripts():
    """From a shell, as scripts call it: exit status 1 and one line (not argparse's usage
    and status 2). The role is refused before the database is asked."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "manage.py", "grant_role", "maria", "janitor", "--skip-checks"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if not line.startswith("{")]
    assert lines == ["CommandError: No role 'janitor' (known: coordinator, viewer, company)."]


def test_create_token_prints_a_working_token_once(coordinator):
    token = run("create_token", "coordinator", "--name", "etl", "--expires-days", "7").strip()
    assert token_client(token).get("/api/matches/").status_code == 200
    row = ApiToken.objects.get(user=coordinator)
    assert row.name == "etl" and row.expiry is not None


def test_create_token_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No login named"):
        run("create_token", "ghost")


# --- Monitoring -----------------------------------------------------------------------------


def test_metrics_need_the_scrape_token_or_an_allowed_network(client, settings):
    settings.BUDDY_METRICS_TOKEN = "s3cret-scrape"
    settings.BUDDY_METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape").status_code == 200
    settings.BUDDY_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.1").status_code == 403


def test_health_stays_public_and_tells_only_ok(client):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert set(body) == {"status", "service", "timestamp", "uptime"}


def test_the_role_groups_exist_with_their_permissions():
    from django.contrib.auth.models import Group

    perms = {
        group.name: set(group.permissions.values_list("codename", flat=True))
        for group in Group.objects.filter(name__in=["coordinator", "viewer", "company"])
    }
    assert perms == {
        "coordinator": {"read_program_data", "change_program_data"},
        "viewer": {"read_program_data"},
        "company": {"view_company_impact"},
    }
