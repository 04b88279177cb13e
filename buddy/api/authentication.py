"""API authentication: personal tokens (django-rest-knox) with their last use recorded."""

from datetime import timedelta

from django.utils import timezone
from knox.auth import TokenAuthentication
from knox.signals import token_expired

#: A token's ``last_used_at`` is written at most this often (not on every request).
LAST_USE_GRANULARITY = timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``: the token is hashed and compared with the stored
    digests; expired tokens are deleted and refused (401), revoked ones no longer exist."""

    def _cleanup_token(self, auth_token) -> bool:
        """The token's own expiry only (deleted and refused when past). knox also read all
        the owner's tokens on every request to delete their expired ones: one statement per
        API request; ``token_create`` sweeps them instead (buddy.services.tokens)."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=type(self), username=username, source="auth_token")
            return True
        return False

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USE_GRANULARITY:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token
