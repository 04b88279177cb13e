"""Access control: what a login may see and change.

Roles are Django groups (``coordinator``, ``viewer``, ``company``, see
``buddy.models.access``); their scope is stored in ``RoleGrant``. ``access_for(user)``
turns both into an ``Access`` that views, serializers and selectors ask; the selectors'
``scope_*`` functions (``buddy.selectors``, ``webhooks.selectors``) filter every queryset
by it. A login holds one role at a time; a role without a grant gives nothing.

- superuser: everything;
- coordinator: reads and changes everything in the programs granted;
- viewer: reads the same scope, changes nothing, sees personal data masked;
- company: aggregated impact figures of their own company only, no row about a person;
- no role (or a role without scope): nothing (403 everywhere but logout).
"""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import connection, transaction

from buddy.models import AccessRole, ApiToken, Company, Program, RoleGrant, User
from core.errors import RuleViolation

SUPERUSER = "superuser"


@dataclass(frozen=True)
class Access:
    """A login's role and scope (compute it with ``access_for``)."""

    role: str = ""  # SUPERUSER, an AccessRole value, or "" (no role)
    program_ids: frozenset[int] = frozenset()
    company_id: int | None = None

    @property
    def is_superuser(self) -> bool:
        return self.role == SUPERUSER

    @property
    def has_role(self) -> bool:
        """Any role with a scope: superuser, coordinator/viewer of a program, company user."""
        return bool(self.role)

    @property
    def reads_programs(self) -> bool:
        """Reads rows of programs (people, matches, activity, imports, webhook events)."""
        return self.role in (SUPERUSER, AccessRole.COORDINATOR, AccessRole.VIEWER)

    @property
    def changes_programs(self) -> bool:
        return self.role in (SUPERUSER, AccessRole.COORDINATOR)

    @property
    def masked(self) -> bool:
        """Personal data (``core.pii``) is masked in every response and page."""
        return self.role == AccessRole.VIEWER

    def sees_program(self, program_id: int) -> bool:
        return self.is_superuser or (self.reads_programs and program_id in self.program_ids)

    def programs(self):
        """The programs this login reads, in their usual order."""
        if self.is_superuser:
            return Program.objects.all()
        if not self.reads_programs:
            return Program.objects.none()
        return Program.objects.filter(pk__in=self.program_ids)


NO_ACCESS = Access()
_CACHE = "_buddy_access"

#: Which grant each role needs, in the order a login's groups are read (the most
#: restrictive first, should the groups and grants disagree after an edit by hand).
_ROLE_ORDER = (AccessRole.VIEWER, AccessRole.COMPANY, AccessRole.COORDINATOR)


def access_for(user) -> Access:
    """The login's access (one query, then cached on the user object of the request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, _CACHE, None)
    if cached is not None:
        return cached
    access = _access_of(user, lambda: _role_grants(user.pk))
    setattr(user, _CACHE, access)
    return access


def _access_of(user, grants: Callable[[], list[tuple[str, int | None, int | None]]]) -> Access:
    """The rule: a superuser's access, else the most restrictive role among the user's
    ``grants()`` (role, program id, company id) that has a scope."""
    if user.is_superuser:
        return Access(role=SUPERUSER)
    grants = grants()
    groups = {role for role, _p, _c in grants}
    for role in _ROLE_ORDER:
        if role not in groups:
            continue
        if role == AccessRole.COMPANY:
            companies = [c for r, _p, c in grants if r == role]
            if companies:
                return Access(role=role, company_id=companies[0])
        else:
            programs = frozenset(p for r, p, _c in grants if r == role)
            if programs:
                return Access(role=role, program_ids=programs)
    return NO_ACCESS


def _grant_columns(alias: str) -> list[str]:
    """A role grant's (role, program id, company id) columns, ``alias``-qualified."""
    grant, q = RoleGrant._meta, connection.ops.quote_name
    return [f"{alias}.{q(grant.get_field(name).column)}" for name in ("role", "program", "company")]


def _grants_held(alias: str, user: str) -> tuple[str, list[str]]:
    """The condition on the role grant ``alias`` that makes it count for the login whose id is
    the SQL expression ``user``: the grant is theirs and they are in its role's group (a
    role needs both), and its parameters. The one statement of the rule for both readers:
    ``_role_grants`` and the token look-up (``tokens_by_key``)."""
    grant, group, q = RoleGrant._meta, Group._meta, connection.ops.quote_name
    member = User.groups.through._meta
    roles = list(AccessRole.values)
    role = _grant_columns(alias)[0]
    # table and column names of our models; the values are parameters
    sql = (
        f"{alias}.{q(grant.get_field('user').column)} = {user} AND {role} IN ("  # noqa: S608
        f"SELECT g.{q('name')} FROM {q(group.db_table)} g JOIN {q(member.db_table)} m "
        f"ON m.{q(member.get_field('group').column)} = g.{q('id')} "
        f"WHERE m.{q(member.get_field('user').column)} = {user} "
        f"AND g.{q('name')} IN ({', '.join(['%s'] * len(roles))}))"
    )
    return sql, roles


def _role_grants(user_id: int) -> list[tuple[str, int | None, int | None]]:
    """(role, program id, company id) of the user's grants of the roles whose group they are
    in (a role needs both). One plain statement: the ORM took ~1 ms of CPU to compile it,
    on every API request and page (bench/README.md, API); the names come from the models."""
    sql, roles = _role_grants_statement()
    with connection.cursor() as cursor:
        # the user id is the expression's placeholder: it appears twice, before the roles
        cursor.execute(sql, [user_id, user_id, *roles])
        return [tuple(row) for row in cursor.fetchall()]


@functools.cache
def _role_grants_statement() -> tuple[str, list[str]]:
    held, roles = _grants_held("r", "%s")
    sql = (
        f"SELECT {', '.join(_grant_columns('r'))} "  # noqa: S608 - model names, placeholders
        f"FROM {connection.ops.quote_name(RoleGrant._meta.db_table)} r WHERE {held}"
    )
    return sql, roles


def tokens_by_key(token_key: str) -> list[ApiToken]:
    """The API tokens stored under ``token_key`` (knox's look-up prefix; the newest first, as
    ``ApiToken.Meta.ordering``), each with its owner as ``.user`` and the owner's access
    already known to ``access_for``: token, owner and role grants in one plain statement.

    Every API request by token reads this (``buddy.api.authentication``): knox's ORM query
    (token ``select_related`` user) took ~1 ms of CPU to compile, and the grants were a
    second round trip (bench/README.md, API: what every request costs)."""
    statement = _token_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [*statement.roles, token_key])
        rows = cursor.fetchall()
    tokens: dict[str, tuple[ApiToken, list]] = {}
    for row in rows:
        values = statement.convert(row[:-3])
        digest = values[statement.digest]
        if digest not in tokens:
            token = ApiToken.from_db(
                connection.alias, statement.token_names, values[: statement.split]
            )
            token.user = User.from_db(
                connection.alias, statement.user_names, values[statement.split :]
            )
            tokens[digest] = (token, [])
        if row[-3] is not None:  # a grant held (LEFT JOIN: none gives one row of NULLs)
            tokens[digest][1].append(tuple(row[-3:]))
    for token, grants in tokens.values():
        setattr(token.user, _CACHE, _access_of(token.user, lambda g=grants: g))
    return [token for token, _grants in tokens.values()]


@dataclass(frozen=True)
class _TokenStatement:
    sql: str
    roles: list[str]
    token_names: list[str]  # attribute names of the row's token columns, in model order
    user_names: list[str]  # the same of its user columns, after them
    split: int  # where the user's columns start
    digest: int  # where the token's digest (its primary key) is
    convert: Callable[[tuple], list]


@functools.cache
def _token_statement() -> _TokenStatement:
    """``tokens_by_key``'s statement, built once per process (its names come from the models)."""
    q = connection.ops.quote_name
    token_meta, user_meta = ApiToken._meta, User._meta
    token_fields, user_fields = list(token_meta.concrete_fields), list(user_meta.concrete_fields)
    held, roles = _grants_held("r", f"t.{q(token_meta.get_field('user').column)}")
    columns = [f"t.{q(f.column)}" for f in token_fields]
    columns += [f"u.{q(f.column)}" for f in user_fields]
    columns += _grant_columns("r")
    sql = (
        f"SELECT {', '.join(columns)} FROM {q(token_meta.db_table)} t "  # noqa: S608 - model names, placeholders
        f"JOIN {q(user_meta.db_table)} u ON u.{q(user_meta.pk.column)} = "
        f"t.{q(token_meta.get_field('user').column)} "
        f"LEFT JOIN {q(RoleGrant._meta.db_table)} r ON {held} "
        f"WHERE t.{q(token_meta.get_field('token_key').column)} = %s "
        f"ORDER BY t.{q(token_meta.get_field('created').column)} DESC"
    )
    return _TokenStatement(
        sql=sql,
        roles=roles,
        token_names=[f.attname for f in token_fields],
        user_names=[f.attname for f in user_fields],
        split=len(token_fields),
        digest=token_fields.index(token_meta.pk),
        convert=_row_converter([*token_fields, *user_fields]),
    )


def _row_converter(fields) -> Callable[[tuple], list]:
    """What the ORM does to a row's values before ``from_db``: the backend's and each
    field's database converters (none for these fields on PostgreSQL; SQLite's dates and
    booleans come as text and integers)."""
    steps = []
    for i, field in enumerate(fields):
        col = field.get_col(field.model._meta.db_table)
        functions = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        if functions:
            steps.append((i, functions, col))
    if not steps:
        return list

    def convert(row: tuple) -> list:
        values = list(row)
        for i, functions, col in steps:
            for function in functions:
                values[i] = function(values[i], col, connection)
        return values

    return convert


# --- Granting (the admin, ``manage.py grant_role`` and tests call these) ---------------------


def role_group(role: str) -> Group:
    """The role's group (made by a migration; made again here, with its permissions, where
    it is missing, e.g. after a test flushed the database)."""
    group, created = Group.objects.get_or_create(name=role)
    if created:
        role_permissions_give(group)
    return group


def role_permissions_give(group: Group, *, using: str = "default") -> None:
    """Give a role group its permissions (``ROLE_PERMISSIONS``); idempotent."""
    from django.contrib.auth.models import Permission

    from buddy.models.access import ROLE_PERMISSIONS

    codenames = ROLE_PERMISSIONS.get(group.name, ())
    permissions = Permission.objects.using(using).filter(
        content_type__app_label="buddy", codename__in=codenames
    )
    group.permissions.add(*permissions)


@transaction.atomic
def grant_role(
    *,
    user: User,
    role: str,
    programs: Iterable[Program] = (),
    company: Company | None = None,
) -> Access:
    """Give a login a role with its scope (programs, or a company); return its access.

    A login holds one role: granting a different one is refused until the first is revoked.
    Granting the same role again adds programs to its scope.
    """
    if role not in AccessRole.values:
        raise RuleViolation("access.unknown_role", f"Unknown role {role!r}.", "role")
    programs = list(programs)
    if role == AccessRole.COMPANY:
        if company is None or programs:
            raise RuleViolation(
                "access.scope_mismatch", "A company user is granted one company.", "company"
            )
    elif not programs or company is not None:
        raise RuleViolation(
            "access.scope_mismatch", f"A {role} is granted one or more programs.", "program"
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    others = RoleGrant.objects.filter(user=user).exclude(role=role)
    if others.exists():
        held = others.values_list("role", flat=True).first()
        raise RuleViolation(
            "access.other_role",
            f"This login is a {held}; revoke that role before granting {role}.",
            "role",
        )
    if role == AccessRole.COMPANY:
        current = RoleGrant.objects.filter(user=user, role=role).first()
        if current is not None and current.company_id != company.pk:
            current.delete()
        RoleGrant.objects.get_or_create(user=user, role=role, company=company)
    else:
        for program in programs:
            RoleGrant.objects.get_or_create(user=user, role=role, program=program)
    user.groups.add(role_group(role))
    return _fresh_access(user)


@transaction.atomic
def revoke_role(*, user: User, role: str) -> Access:
    """Take a role and its whole scope from a login; return what it has left."""
    if role not in AccessRole.values:
        raise RuleViolation("access.unknown_role", f"Unknown role {role!r}.", "role")
    RoleGrant.objects.filter(user=user, role=role).delete()
    user.groups.remove(role_group(role))
    return _fresh_access(user)


def _fresh_access(user: User) -> Access:
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)
    return access_for(User.objects.get(pk=user.pk))


def describe(access: Access) -> str:
    """What a login can do, in words (for the command line and the account page)."""
    if access.is_superuser:
        return "superuser: reads and changes everything"
    if access.role == AccessRole.COMPANY:
        company = Company.objects.filter(pk=access.company_id).first()
        name = company.name if company else f"#{access.company_id}"
        return f"company user of {name}: sees that company's aggregated impact figures only"
    if access.role in (AccessRole.COORDINATOR, AccessRole.VIEWER):
        programs = ", ".join(f"{p.name} ({p.program_type})" for p in access.programs())
        if access.role == AccessRole.COORDINATOR:
            return f"coordinator of {programs}: reads and changes everything there"
        return (
            f"viewer of {programs}: reads everything there, changes nothing, personal data masked"
        )
    return "no role: sees nothing"


# --- Pages ------------------------------------------------------------------------------------

#: What a page's GET (``read``) or POST (``change``) needs.
CHECKS = {
    "programs": lambda access: access.reads_programs,
    "change": lambda access: access.changes_programs,
    "any": lambda access: access.has_role,
}


def role_required(*, read: str = "programs", change: str = "change"):
    """Guard a coordinator page: anonymous → the login page; a role that may not → 403.
    ``read`` is what safe methods (GET, HEAD) need, ``change`` what the others need."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied

    read_check, change_check = CHECKS[read], CHECKS[change]

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            check = read_check if request.method in ("GET", "HEAD", "OPTIONS") else change_check
            if not check(access_for(request.user)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorator


def holds_permission(user, perm: str) -> bool:
    """Work outside the program roles (e.g. the subscribers of our events, who receive every
    program's events): superusers, and coordinators who hold the Django permission ``perm``
    the way the API's ``StaffModelPermissions`` asks for it (staff with the permission).
    No query for a login that is not staff."""
    access = access_for(user)
    if access.is_superuser:
        return True
    return access.role == AccessRole.COORDINATOR and user.is_staff and user.has_perm(perm)


def permission_required(perm: str):
    """Guard a page of such work (``holds_permission``): anonymous → the login page; any
    other login without the permission → 403 (viewers and company users always)."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not holds_permission(request.user, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorator
