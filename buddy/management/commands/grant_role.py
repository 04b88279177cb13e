"""``manage.py grant_role USERNAME ROLE [--program TYPE ...] [--company ID]`` and
``manage.py grant_role USERNAME --revoke ROLE``: give or take a role and its scope."""

from django.core.management.base import BaseCommand, CommandError

from buddy.access import describe, grant_role, revoke_role
from buddy.models import AccessRole, Company, ExternalId, Program, User
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Grant a login a role with its scope (coordinator/viewer: --program, repeatable; "
        "company: --company with the company's id or a company member's external id), or "
        "revoke one. Creates nothing but the grant; prints what the login can now do."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        # Roles are checked in handle(), not by argparse's choices: an unknown one exits 1
        # with one line, as an unknown login, program or company does (scripts call this).
        parser.add_argument("role", nargs="?", help=", ".join(AccessRole.values))
        parser.add_argument("--program", action="append", default=[], metavar="TYPE")
        parser.add_argument("--company", metavar="ID")
        parser.add_argument("--revoke", metavar="ROLE")

    def handle(self, *args, username, role, program, company, revoke, **options):
        for name in (role, revoke):
            if name and name not in AccessRole.values:
                known = ", ".join(AccessRole.values)
                raise CommandError(f"No role {name!r} (known: {known}).")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No login named {username!r}.")
        if revoke:
            if role or program or company:
                raise CommandError("--revoke takes no role, --program or --company.")
            access = revoke_role(user=user, role=revoke)
        else:
            if not role:
                raise CommandError("Name a role (coordinator, viewer, company) or --revoke ROLE.")
            programs = [_program(p) for p in program]
            try:
                access = grant_role(
                    user=user,
                    role=role,
                    programs=programs,
                    company=_company(company) if company else None,
                )
            except DomainError as error:
                raise CommandError(error.message) from None
        self.stdout.write(f"{username}: {describe(access)}.")


def _program(program_type: str) -> Program:
    program = Program.objects.filter(program_type=program_type).first()
    if program is None:
        known = ", ".join(Program.objects.values_list("program_type", flat=True))
        raise CommandError(f"No program {program_type!r} (known: {known}).")
    return program


def _company(key: str) -> Company:
    """A company by id or name, or the company of the person with this external id."""
    company = Company.objects.filter(pk=int(key)).first() if key.isdigit() else None
    if company is None:
        company = Company.objects.filter(name__iexact=key.strip()).first()
    if company is None:
        link = ExternalId.objects.filter(external_id=key).select_related("person").first()
        if link is not None and link.person.company_id:
            company = Company.objects.get(pk=link.person.company_id)
    if company is None:
        raise CommandError(f"No company {key!r} (give its id, its name or a member's external id).")
    return company
