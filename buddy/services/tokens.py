"""Personal API tokens: made by their owner (page or ``manage.py create_token``), shown once,
stored as a digest (django-rest-knox), revocable."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from buddy.models import ApiToken, User
from core.errors import FieldError, Message, ValidationFailed

MAX_EXPIRY_DAYS = 3650


@transaction.atomic
def token_create(*, user: User, name: str, expires_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the stored row and the token itself (shown once:
    only its digest is kept)."""
    name = (name or "").strip()
    errors = []
    if not name or len(name) > 100:
        errors.append(
            FieldError("name", gettext_noop("Give the token a name of 1 to 100 characters."))
        )
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        errors.append(
            FieldError(
                "expires_days",
                Message(gettext_noop("must be between 1 and %(most)d"), most=MAX_EXPIRY_DAYS),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    expiry = timedelta(days=expires_days) if expires_days else None
    # the owner's expired tokens go now (they are refused anyway; knox deleted them on every
    # request, which the API no longer pays for: buddy.api.authentication)
    ApiToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    return ApiToken.objects.create(user=user, expiry=expiry, name=name)


@transaction.atomic
def token_revoke(*, user: User, digest: str) -> bool:
    """Revoke one of the user's own tokens (it answers 401 from now on); True if it existed."""
    deleted, _ = ApiToken.objects.filter(user=user, digest=digest).delete()
    return bool(deleted)
