"""``manage.py create_token USERNAME [--name NAME] [--expires-days N]``: a personal API token,
printed once (only its digest is stored)."""

from django.core.management.base import BaseCommand, CommandError

from buddy.models import User
from buddy.services.tokens import token_create
from core.errors import ValidationFailed


class Command(BaseCommand):
    help = "Create a personal API token for a login and print it (shown once, stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args, username, name, expires_days, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No login named {username!r}.")
        try:
            token, raw = token_create(user=user, name=name, expires_days=expires_days)
        except ValidationFailed as error:
            raise CommandError("; ".join(f"{e.path}: {e.message}" for e in error.errors)) from None
        expiry = token.expiry.date().isoformat() if token.expiry else "never"
        self.stderr.write(f"Token {name!r} for {username} (expires: {expiry}); shown once:")
        self.stdout.write(raw)
