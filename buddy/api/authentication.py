"""API authentication: personal tokens (django-rest-knox) with their last use recorded."""

from datetime import timedelta

from django.utils import timezone
from knox.auth import TokenAuthentication

#: A token's ``last_used_at`` is written at most this often (not on every request).
LAST_USE_GRANULARITY = timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``: the token is hashed and compared with the stored
    digests; expired tokens are deleted and refused (401), revoked ones no longer exist."""

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USE_GRANULARITY:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token
