"""What every token request costs, whatever its endpoint (bench/README.md, API): its token,
the token's owner and the owner's role grants are read in one statement
(``buddy.access.tokens_by_key``), with the same answers and access as before: knox's steps
for tokens under one key, expired tokens, inactive owners, every role."""

import secrets
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework.test import APIClient

from buddy.access import access_for, grant_role, tokens_by_key
from buddy.models import AccessRole, ApiToken, Program, RoleGrant, User
from buddy.services.tokens import token_create
from tests.clients import queries_of_a_repeat_request, token_client
from tests.factories import (
    CompanyFactory,
    UserFactory,
    buddy_program,
    company_user_of,
    coordinator_of,
    viewer_of,
)

# --- The token statement ----------------------------------------------------------------------


def test_a_token_request_reads_no_role_grants_after_its_token(coordinator):
    _row, token = token_create(user=coordinator, name="script")
    queries = queries_of_a_repeat_request(token)
    grants = [q["sql"] for q in queries if RoleGrant._meta.db_table in q["sql"]]
    assert grants == [queries[0]["sql"]]  # the token statement, nothing after it
    assert ApiToken._meta.db_table in grants[0]


def _no_role(program):
    """A grant without its role's group: no role (``access_for``: a role needs both)."""
    user = coordinator_of(program)
    user.groups.clear()
    return user


def _group_without_grant(program):
    user = UserFactory()
    grant_role(user=user, role=AccessRole.VIEWER, programs=[program])
    RoleGrant.objects.filter(user=user).delete()
    return user


@pytest.mark.parametrize(
    "login",
    [
        pytest.param(lambda p: coordinator_of(p), id="coordinator"),
        pytest.param(lambda p: viewer_of(p), id="viewer"),
        pytest.param(lambda p: company_user_of(CompanyFactory()), id="company user"),
        pytest.param(lambda p: UserFactory(is_superuser=True), id="superuser"),
        pytest.param(lambda p: UserFactory(), id="no grant"),
        pytest.param(_no_role, id="grant without group"),
        pytest.param(_group_without_grant, id="group without grant"),
    ],
)
def test_the_token_statement_gives_the_owner_the_access_access_for_computes(db, login):
    user = login(buddy_program())
    row, _token = token_create(user=user, name="script")
    (found,) = tokens_by_key(row.token_key)
    assert found.digest == row.digest and found.user.pk == user.pk
    assert found.user.get_username() == user.get_username() and found.user.is_active
    with CaptureQueriesContext(connection) as queries:
        known = access_for(found.user)
    assert queries.captured_queries == []
    assert known == access_for(User.objects.get(pk=user.pk))


def test_a_coordinator_of_two_programs_gets_both_from_the_token_statement(db):
    other = Program.objects.exclude(pk=buddy_program().pk).first()
    user = coordinator_of(buddy_program(), other)
    row, _token = token_create(user=user, name="script")
    (found,) = tokens_by_key(row.token_key)
    assert access_for(found.user).program_ids == {buddy_program().pk, other.pk}


def _token_under_key(user, key: str, name: str, expiry=None) -> str:
    """A token whose first characters (knox's look-up key) are ``key``: tokens are random,
    so two share a key only by chance, which knox allows for."""
    token = key + secrets.token_hex(32)
    ApiToken(
        digest=hash_token(token), token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH], user=user,
        name=name, expiry=expiry,
    ).save()  # fmt: skip
    return token


KEY = "bpm_0123456789a"  # knox's TOKEN_KEY_LENGTH characters


def test_tokens_sharing_a_key_each_authenticate_their_own_owner(db):
    program = buddy_program()
    first = _token_under_key(coordinator_of(program), KEY, "first")
    second = _token_under_key(viewer_of(program), KEY, "second")

    assert len(tokens_by_key(KEY)) == 2
    # the coordinator may write (the empty match is refused as invalid), the viewer may not
    assert token_client(first).post("/api/matches/", {}).status_code == 400
    assert token_client(second).get("/api/matches/").status_code == 200
    assert token_client(second).post("/api/matches/", {}).status_code == 403


def test_an_expired_token_under_a_shared_key_is_deleted_and_the_other_still_works(db):
    program = buddy_program()
    past = timezone.now() - timedelta(seconds=1)
    old = _token_under_key(coordinator_of(program), KEY, "old", expiry=past)
    new = _token_under_key(coordinator_of(program), KEY, "new")

    assert token_client(old).get("/api/matches/").status_code == 401
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["new"]
    assert token_client(new).get("/api/matches/").status_code == 200


def test_an_inactive_owners_token_answers_401(coordinator):
    _row, token = token_create(user=coordinator, name="script")
    User.objects.filter(pk=coordinator.pk).update(is_active=False)
    response = token_client(token).get("/api/matches/")
    assert response.status_code == 401 and response.json()["status"] == "error"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Token \xff\xfe" + "a" * 40, "Token " + "\xe9" * 20],
    ids=["not-utf8", "latin-1-letters"],
)
def test_a_token_header_that_is_not_utf8_answers_401(header):
    response = APIClient().get("/api/matches/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["status"] == "error"
